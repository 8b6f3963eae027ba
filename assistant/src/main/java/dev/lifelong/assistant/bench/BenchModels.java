package dev.lifelong.assistant.bench;

import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.gguf.ModelTwins;

import java.nio.file.Path;

/** Where benchmarks find the random-weight twins of the catalog models. */
final class BenchModels {
    private BenchModels() {}

    /**
     * The twin, written on first use (0.4–1.1 GB, seconds to a minute) into {@code -Dlifelong.twins=DIR} when given (the
     * build's tests share {@code target/twins} that way), else into {@code target/twins} of the checkout, so benchmarks
     * and tests reuse one copy.
     */
    static Path twin(ModelTwins.Twin twin) {
        String configured = System.getProperty("lifelong.twins");
        Path dir = configured != null && !configured.isBlank() ? Path.of(configured) : ModelResolver.home().resolve("target").resolve("twins");
        if (!java.nio.file.Files.isRegularFile(dir.resolve(twin.fileName()))) {
            System.err.println("writing the random-weight twin " + dir.resolve(twin.fileName()) + " ...");
        }
        return ModelTwins.cached(twin, dir);
    }
}
