package dev.lifelong.assistant.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.lora.data.DatasetFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shipped seedling is checked against the sha256 in its manifest before it is served. */
final class SeedlingChecksum {
    private SeedlingChecksum() {}

    static void verify(Path seedling) {
        Path manifest = seedling.resolveSibling("manifest.json");
        if (!Files.isRegularFile(manifest)) return; // a locally built or hand-placed seedling without a manifest
        String expected;
        try {
            expected = new ObjectMapper().readTree(manifest.toFile()).path("sha256").asText("");
        } catch (IOException e) {
            throw new ModelLoadException("cannot read " + manifest + ": " + e.getMessage());
        }
        if (expected.isEmpty()) return;
        String actual = DatasetFiles.sha256(seedling);
        if (!actual.equals(expected)) {
            throw new ModelLoadException("the seedling " + seedling + " does not match its manifest (sha256 " + actual
                    + ", expected " + expected + "); restore it with `git checkout models/seedling` or run "
                    + "`./lifelong seedling rebuild`");
        }
    }
}
