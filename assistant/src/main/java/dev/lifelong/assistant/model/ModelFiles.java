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

    /**
     * Only a regular file is opened (a FIFO or a device would block the load, and every load after it, for ever), and
     * a file that does not start with the GGUF magic is refused without a word about what it holds: an error must not
     * echo the first bytes of, say, /etc/shadow.
     */
    public static ModelInfo check(Path file) {
        if (file == null) throw new ModelLoadException("no model path given");
        if (!Files.exists(file)) throw new ModelLoadException("model file not found: " + file);
        if (Files.isDirectory(file)) throw new ModelLoadException(file + " is a directory; give the path of a .gguf file");
        if (!Files.isRegularFile(file)) throw new ModelLoadException(file + " is not a regular file; give the path of a .gguf file");
        if (!Files.isReadable(file)) throw new ModelLoadException("model file is not readable (check its permissions): " + file);
        byte[] magic = new byte[4];
        try (var in = Files.newInputStream(file)) {
            if (in.readNBytes(magic, 0, 4) < 4 || magic[0] != 'G' || magic[1] != 'G' || magic[2] != 'U' || magic[3] != 'F') {
                throw new ModelLoadException(file + " is not a GGUF model file");
            }
        } catch (java.io.IOException e) {
            throw new ModelLoadException("cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelCompatibility.check(gguf);
            return gguf.modelInfo();
        } catch (GgufFormatException e) {
            throw new ModelLoadException(e.getMessage(), e);
        }
    }
}
