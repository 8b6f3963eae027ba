package dev.lifelong.assistant.update;

import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which model answers each user: the base model, or the base with the user's serving adapter. An adapter is served by a
 * runtime instance of its own over the same base file (decision 010; llama.cpp memory-maps the weights once), cached
 * for the most recently active users. After a promotion or rollback the user's entry is replaced: new requests get the
 * new adapter at once, answers still streaming finish on the old instance, which closes when they are done — a hot
 * swap with no restart and no broken chat, and other users keep theirs.
 */
public final class UserAdapters implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UserAdapters.class);

    /** The runtime to answer with, the adapter index in it ({@link LlamaRuntime#BASE} for none), and its version. */
    public record Serving(LlamaRuntime runtime, int adapter, AdapterVersion version) {
        public Integer versionNumber() {
            return version == null ? null : version.version();
        }
    }

    private record Entry(long versionId, Path base, LlamaRuntime runtime) {
    }

    private final ModelManager models;
    private final AdapterVersionStore versions;
    private final Path dataDir;
    private final RuntimeOptions options;
    /** An upper bound set by configuration or tests; the memory budget may allow fewer (see {@link InstanceBudget}). */
    private final int maxInstances;
    private final Map<Long, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, String> baseSha = new java.util.concurrent.ConcurrentHashMap<>();
    // locks, not monitors: a request's virtual thread waiting for another's adapter load must park, not pin its carrier
    private final Map<Long, java.util.concurrent.locks.ReentrantLock> userLocks = new java.util.concurrent.ConcurrentHashMap<>();

    public UserAdapters(ModelManager models, Database db, Path dataDir, RuntimeOptions options, int maxInstances) {
        this.models = models;
        this.versions = new AdapterVersionStore(db);
        this.dataDir = dataDir.toAbsolutePath();
        this.options = options;
        this.maxInstances = maxInstances;
    }

    /** What answers this user now. Throws like {@link ModelManager#require()} when no model is loaded. */
    public Serving forUser(long userId) {
        ModelManager.Loaded loaded = models.require();
        AdapterVersion v = versions.serving(userId).orElse(null);
        if (v == null || v.file() == null) return new Serving(loaded.runtime(), LlamaRuntime.BASE, null);
        Path base = loaded.runtime().file().toAbsolutePath();
        Path adapter = dataDir.resolve(v.file());
        if (!Files.isRegularFile(adapter) || !v.baseSha256().equals(sha(base))) {
            // Trained for another base model (the user switched models) or its file is gone: the base answers.
            return new Serving(loaded.runtime(), LlamaRuntime.BASE, null);
        }
        Entry e = cached(userId, v, base);
        if (e == null) {
            // Loading takes a while (a llama.cpp instance); it happens under this user's lock only, so other users'
            // answers are not held up by it.
            var userLock = userLocks.computeIfAbsent(userId, k -> new java.util.concurrent.locks.ReentrantLock());
            userLock.lock();
            try {
                e = cached(userId, v, base);
                if (e == null) {
                    int cap = instanceCap(base, adapter);
                    LlamaRuntime runtime = LlamaRuntime.load(base, options, java.util.List.of(adapter));
                    e = new Entry(v.id(), base, runtime);
                    java.util.List<Entry> retired = new java.util.ArrayList<>();
                    synchronized (cache) {
                        Entry old = cache.put(userId, e);
                        if (old != null) retired.add(old);
                        while (cache.size() > cap) {
                            var eldest = cache.entrySet().iterator().next();
                            cache.remove(eldest.getKey());
                            retired.add(eldest.getValue());
                        }
                    }
                    log.info("User {} is now answered with adapter v{}", userId, v.version());
                    retired.forEach(r -> ModelManager.retire(r.runtime()));
                }
            } finally {
                userLock.unlock();
            }
        }
        return new Serving(e.runtime(), 0, v);
    }

    /** How many instances may stay loaded: the configured bound, lowered to what the free memory holds. */
    int instanceCap(Path base, Path adapter) {
        long adapterBytes;
        try {
            adapterBytes = Files.size(adapter);
        } catch (java.io.IOException e) {
            adapterBytes = 0;
        }
        InstanceBudget budget = InstanceBudget.of(base, options, adapterBytes,
                dev.lifelong.lora.MemoryPlan.availableMemory());
        return Math.max(1, Math.min(maxInstances, budget.maxInstances()));
    }

    /** The user's loaded instance if it serves version {@code v} over {@code base}, else null. */
    private Entry cached(long userId, AdapterVersion v, Path base) {
        synchronized (cache) {
            Entry e = cache.get(userId);
            return e != null && e.versionId() == v.id() && e.base().equals(base) ? e : null;
        }
    }

    /** Forgets a removed user: their instance is closed once its answers end, and their lock goes. */
    public void userRemoved(long userId) {
        invalidate(userId);
        userLocks.remove(userId);
    }

    /** Drops the user's cached instance (after a promotion or rollback); the next request loads the new one. */
    public void invalidate(long userId) {
        Entry e;
        synchronized (cache) {
            e = cache.remove(userId);
        }
        if (e != null) ModelManager.retire(e.runtime());
    }

    /** The base file's sha256, computed once per (path, size, modification time). */
    private String sha(Path base) {
        String key;
        try {
            key = base + "|" + Files.size(base) + "|" + Files.getLastModifiedTime(base).toMillis();
        } catch (java.io.IOException e) {
            return "";
        }
        return baseSha.computeIfAbsent(key, k -> DatasetFiles.sha256(base));
    }

    @Override
    public void close() {
        synchronized (cache) {
            cache.values().forEach(e -> e.runtime().close());
            cache.clear();
        }
    }
}
