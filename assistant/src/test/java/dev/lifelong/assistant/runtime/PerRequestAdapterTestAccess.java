package dev.lifelong.assistant.runtime;

import java.nio.file.Path;

/** Lets tests in other packages use the random tiny-model adapter of {@link PerRequestAdapterTest}. */
public final class PerRequestAdapterTestAccess {
    private PerRequestAdapterTestAccess() {}

    public static Path randomAdapter(Path file, long seed) throws Exception {
        return PerRequestAdapterTest.randomAdapter(file, seed);
    }
}
