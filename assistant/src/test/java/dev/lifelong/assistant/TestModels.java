package dev.lifelong.assistant;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.RandomLlamaModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Random-weight GGUF models written by the tests themselves, once per JVM. */
public final class TestModels {
    private static Path dir;
    private static Path tiny;
    private static Path slow;

    private TestModels() {}

    /** Loads in milliseconds and generates thousands of tokens per second. */
    public static synchronized Path tiny() {
        if (tiny == null) tiny = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir().resolve("tiny.gguf"));
        return tiny;
    }

    /**
     * Big enough that an answer of a few thousand tokens takes seconds on two cores, so Stop and disconnects can be
     * exercised mid-answer; still a few MB.
     */
    public static synchronized Path slow() {
        if (slow == null) {
            var spec = new RandomLlamaModel.Spec("slow-test", 95, 6, 384, 6, 2, 1024, 4096, 7L, GgmlType.F16);
            slow = RandomLlamaModel.write(spec, dir().resolve("slow.gguf"));
        }
        return slow;
    }

    private static Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("lifelong-test-models");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            dir.toFile().deleteOnExit();
        }
        return dir;
    }
}
