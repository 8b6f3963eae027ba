package dev.lifelong.assistant.model;

import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.ModelCompatibility;
import dev.lifelong.gguf.ModelInfo;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a model file in Java before native code sees it: llama.cpp may abort the JVM on a truncated or foreign file
 * instead of returning an error.
 */
public final class ModelFiles {
    private ModelFiles() {}

    public static ModelInfo check(Path file) {
        if (file == null) throw new ModelLoadException("no model path given");
        if (!Files.exists(file)) throw new ModelLoadException("model file not found: " + file);
        if (Files.isDirectory(file)) throw new ModelLoadException(file + " is a directory; give the path of a .gguf file");
        if (!Files.isReadable(file)) throw new ModelLoadException("model file is not readable (check its permissions): " + file);
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelCompatibility.check(gguf);
            return gguf.modelInfo();
        } catch (GgufFormatException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
    }
}
