package dev.lifelong.assistant.model;

import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.gguf.ModelInfo;
import dev.lifelong.installer.models.CatalogEntry;
import dev.lifelong.installer.models.ModelCatalog;
import dev.lifelong.installer.models.ModelDownloader;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.installer.models.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Owns the model the assistant serves: loads it (after checking the file), swaps it, downloads curated models and
 * reports status. Requests take {@link #current()} once and keep that runtime for their whole answer; an old runtime is
 * closed only when its last answer has finished.
 */
public final class ModelManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ModelManager.class);

    /** A loaded model and what we know about it. */
    public record Loaded(LlamaRuntime runtime, ModelInfo info, String id, boolean demo) {}

    private final RuntimeOptions options;
    private final ModelCatalog catalog;
    private final ModelStore store;
    private final Path seedling;
    private final ModelDownloader downloader;
    private final AtomicReference<Loaded> current = new AtomicReference<>();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    private final AtomicReference<ModelStatus.DownloadState> download = new AtomicReference<>();
    // a lock, not a monitor: a virtual thread waiting for it parks instead of pinning its carrier
    private final java.util.concurrent.locks.ReentrantLock loadLock = new java.util.concurrent.locks.ReentrantLock();

    public ModelManager(RuntimeOptions options, ModelCatalog catalog, ModelStore store, Path seedling, ModelDownloader downloader) {
        this.options = options;
        this.catalog = catalog;
        this.store = store;
        this.seedling = seedling == null ? null : seedling.toAbsolutePath().normalize();
        this.downloader = downloader;
    }

    public Optional<Loaded> current() { return Optional.ofNullable(current.get()); }

    public Loaded require() {
        Loaded l = current.get();
        if (l == null) {
            String why = lastError.get();
            throw new ModelNotLoadedException("no model is loaded" + (why == null ? "" : " (" + why + ")")
                    + "; choose one in the web UI or start with --model PATH");
        }
        return l;
    }

    public List<CatalogEntry> choices() { return catalog.entries(); }

    /** How models are loaded here (threads, context size, parallel slots). */
    public RuntimeOptions runtimeOptions() { return options; }

    public ModelStore store() { return store; }

    public Path seedlingPath() { return seedling; }

    /** Validates and loads a model file, replacing the current one. Throws {@link ModelLoadException} with a clear message. */
    public Loaded load(Path file) {
        loadLock.lock();
        try {
            return loadLocked(file);
        } finally {
            loadLock.unlock();
        }
    }

    /** Another load is running: the caller may try again when it is done. */
    public static final class LoadInProgressException extends IllegalStateException {
        LoadInProgressException() { super("another model is being loaded; try again when it is done"); }
    }

    /** As {@link #load}, but refuses at once while another load runs instead of queueing behind it. */
    public Loaded loadUnlessBusy(Path file) {
        if (!loadLock.tryLock()) throw new LoadInProgressException();
        try {
            return loadLocked(file);
        } finally {
            loadLock.unlock();
        }
    }

    private Loaded loadLocked(Path file) {
        Path path = file.toAbsolutePath().normalize();
        try {
            ModelInfo info = ModelFiles.check(path);
            LlamaRuntime runtime = LlamaRuntime.load(path, options);
            boolean demo = path.equals(seedling);
            Loaded loaded = new Loaded(runtime, info, modelId(info, path, demo), demo);
            Loaded old = current.getAndSet(loaded);
            lastError.set(null);
            if (old != null) retire(old.runtime());
            return loaded;
        } catch (ModelLoadException e) {
            lastError.set(e.getMessage());
            throw e;
        } catch (RuntimeException e) {
            String msg = "could not load " + path + ": " + e.getMessage();
            lastError.set(msg);
            throw new ModelLoadException(msg, e);
        }
    }

    /** Records why no model could be loaded at startup, for the status page. */
    public void recordError(String message) { lastError.set(message); }

    public ModelStatus status() {
        Loaded l = current.get();
        if (l == null) return new ModelStatus(false, null, null, false, lastError.get(), download.get());
        return new ModelStatus(true, l.id(), l.runtime().file().toString(), l.demo(), null, download.get());
    }

    /**
     * Starts downloading a curated model in the background and loads it when done. Progress is in {@link #status()}.
     *
     * @throws IllegalArgumentException unknown id
     * @throws IllegalStateException    a download is already running
     */
    public void startDownload(String id) {
        CatalogEntry entry = catalog.find(id).orElseThrow(() -> new IllegalArgumentException(
                "unknown model '" + id + "'; choose one of " + catalog.entries().stream().map(CatalogEntry::id).toList()));
        synchronized (download) {
            ModelStatus.DownloadState d = download.get();
            if (d != null && d.state().equals("running")) {
                throw new IllegalStateException("a download is already running (" + d.id() + ")");
            }
            download.set(new ModelStatus.DownloadState(id, "running", 0, entry.sizeBytes(), null));
        }
        Thread t = new Thread(() -> {
            try {
                Path file = store.pull(entry, downloader, new ProgressListener() {
                    @Override public void onProgress(long done, long total) {
                        download.set(new ModelStatus.DownloadState(id, "running", done, total, null));
                    }
                });
                load(file);
                download.set(new ModelStatus.DownloadState(id, "done", entry.sizeBytes(), entry.sizeBytes(), null));
            } catch (RuntimeException | java.io.IOException e) {
                log.warn("Download of {} failed: {}", id, e.getMessage());
                ModelStatus.DownloadState d = download.get();
                download.set(new ModelStatus.DownloadState(id, "failed", d == null ? 0 : d.bytes(), entry.sizeBytes(), e.getMessage()));
            }
        }, "model-download");
        t.setDaemon(true);
        t.start();
    }

    static String modelId(ModelInfo info, Path path, boolean demo) {
        if (demo) return "seedling";
        String name = path.getFileName().toString();
        if (name.toLowerCase(Locale.ROOT).endsWith(".gguf")) name = name.substring(0, name.length() - 5);
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "-");
    }

    /** Closes a replaced runtime once every answer still using it has finished. */
    public static void retire(LlamaRuntime old) {
        // Every answer the old instance started finishes on it (answers are bounded by their token limit); only then is
        // it closed. A cut-off is never the price of a swap or an eviction.
        Thread t = new Thread(() -> {
            long started = System.nanoTime();
            boolean warned = false;
            while (old.activeRequests() > 0) {
                if (!warned && System.nanoTime() - started > 120_000_000_000L) {
                    org.slf4j.LoggerFactory.getLogger(ModelManager.class).info(
                            "A retired model instance still has {} answer(s) running after 2 minutes; it closes when they end",
                            old.activeRequests());
                    warned = true;
                }
                try { Thread.sleep(100); } catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
            }
            old.close();
        }, "model-retire");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        Loaded l = current.getAndSet(null);
        if (l != null) l.runtime().close();
    }
}
