package dev.lifelong.llama;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Puts java-llama.cpp's native library where it cannot be overwritten under a running process.
 *
 * <p>By default java-llama.cpp extracts {@code libjllama.so} to a fixed name in the temp dir on every start (and deletes
 * old copies there): a second JVM starting while the first runs rewrites the file the first has mapped, which kills
 * the first with SIGBUS (seen when a test JVM and a {@code serve} process started together). We extract once to a
 * content-addressed directory (temp file + atomic rename, never rewritten) and point
 * {@code de.kherud.llama.lib.path} at it. Call before the first {@code LlamaModel}.
 */
public final class LlamaNative {
    private static volatile boolean prepared;

    private LlamaNative() {}

    public static synchronized void prepare() {
        if (prepared || System.getProperty("de.kherud.llama.lib.path") != null) {
            prepared = true;
            return;
        }
        String resource = resourcePath();
        try (InputStream in = LlamaNative.class.getResourceAsStream(resource)) {
            if (in == null) {
                prepared = true; // unsupported platform: let java-llama.cpp report it in its own words
                return;
            }
            byte[] lib = in.readAllBytes();
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lib)).substring(0, 16);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "lifelong-native-" + System.getProperty("user.name", "user"), hash);
            Path target = dir.resolve(System.mapLibraryName("jllama"));
            if (!Files.isRegularFile(target) || Files.size(target) != lib.length) {
                Files.createDirectories(dir);
                Path tmp = Files.createTempFile(dir, "jllama", ".tmp");
                Files.write(tmp, lib);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            }
            System.setProperty("de.kherud.llama.lib.path", dir.toString());
            prepared = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare llama.cpp's native library: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where de.kherud:llama keeps the native library for this OS and CPU, e.g. /de/kherud/llama/Linux/x86_64/libjllama.so. */
    public static String resourcePath() {
        return "/de/kherud/llama/" + os() + "/" + arch() + "/" + System.mapLibraryName("jllama");
    }

    private static String os() {
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
        return os.contains("win") ? "Windows" : os.contains("mac") ? "Mac" : "Linux";
    }

    private static String arch() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> a;
        };
    }
}
