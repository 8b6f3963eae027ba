package dev.lifelong.installer.models;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The models on this machine: GGUF files in {@code dataDir/models/}, plus which one is the default
 * ({@code dataDir/models/default.properties}, key {@code model}).
 */
public final class ModelStore {

    static final String DEFAULT_FILE = "default.properties";
    static final String DEFAULT_KEY = "model";
    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);

    private final Path modelsDir;

    public ModelStore(Path dataDir) {
        this.modelsDir = Objects.requireNonNull(dataDir, "dataDir").resolve("models");
    }

    public Path modelsDir() {
        return modelsDir;
    }

    public Path pathFor(CatalogEntry entry) {
        return modelsDir.resolve(entry.fileName());
    }

    /** The default model, if one was chosen and its file still exists. */
    public Optional<Path> defaultModel() {
        Path file = modelsDir.resolve(DEFAULT_FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            props.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the default model setting " + file, e);
        }
        String value = props.getProperty(DEFAULT_KEY);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Path model = modelsDir.resolve(value.trim());
        if (!Files.isRegularFile(model)) {
            log.warn("the default model {} (from {}) no longer exists", model, file);
            return Optional.empty();
        }
        return Optional.of(model);
    }

    /**
     * Makes {@code model} the default. A model inside the store is recorded by file name (so the data directory
     * can move); any other path is recorded absolute. Written to a temp file, fsynced, atomically renamed.
     */
    public void setDefault(Path model) throws IOException {
        Objects.requireNonNull(model, "model");
        if (!Files.isRegularFile(model)) {
            throw new IOException("cannot make " + model + " the default model: no such file");
        }
        Path absolute = model.toAbsolutePath().normalize();
        Path store = modelsDir.toAbsolutePath().normalize();
        String value = store.equals(absolute.getParent()) ? absolute.getFileName().toString() : absolute.toString();

        Files.createDirectories(modelsDir);
        Properties props = new Properties();
        props.setProperty(DEFAULT_KEY, value);
        Path target = modelsDir.resolve(DEFAULT_FILE);
        Path temp = Files.createTempFile(modelsDir, DEFAULT_FILE + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(channel)) {
                props.store(out, "Lifelong default model");
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            ModelDownloader.fsyncDirectory(modelsDir);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** The GGUF files in the store, sorted by name (unfinished {@code .part} downloads are not listed). */
    public List<Path> installed() throws IOException {
        if (!Files.isDirectory(modelsDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(modelsDir)) {
            return files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gguf"))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .toList();
        }
    }

    /** {@link #pull(CatalogEntry, ModelDownloader, ProgressListener, BooleanSupplier)}, never cancelled. */
    public Path pull(CatalogEntry entry, ModelDownloader downloader, ProgressListener listener) throws IOException {
        return pull(entry, downloader, listener, () -> false);
    }

    /**
     * Makes sure the entry's file is present and verified, then makes it the default. A file already present is
     * re-hashed rather than trusted; if it does not match it is replaced only once a verified copy is downloaded.
     */
    public Path pull(CatalogEntry entry, ModelDownloader downloader, ProgressListener listener,
                     BooleanSupplier cancelled) throws IOException {
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        if (!entry.hasPinnedChecksum()) {
            throw new ModelDownloadException("no pinned checksum for " + entry.id()
                    + "; download it yourself and use --model PATH");
        }
        Path path = pathFor(entry);
        if (Files.isRegularFile(path)) {
            progress.onMessage("verifying the existing " + path.getFileName());
            if (Files.size(path) == entry.sizeBytes() && sha256(path).equals(entry.sha256())) {
                progress.onMessage(entry.name() + " is already installed and verified");
                setDefault(path);
                return path;
            }
            progress.onMessage("the existing " + path.getFileName() + " does not match the catalog; downloading it again");
        }
        downloader.download(entry.url(), path, entry.sha256(), entry.sizeBytes(), progress, cancelled);
        setDefault(path);
        return path;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
