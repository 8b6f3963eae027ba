package dev.lifelong.assistant.app;

import dev.lifelong.assistant.chat.ChatService;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.http.LifelongServer;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.installer.models.ModelCatalog;
import dev.lifelong.installer.models.ModelDownloader;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.memory.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.util.function.Supplier;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.assistant.memory.MemoryExtraction;
import dev.lifelong.assistant.memory.ModelMemoryExtractor;
import dev.lifelong.memory.retrieval.OnnxEmbedder;
import java.util.Optional;

/** The running assistant: database, model and HTTP server, started together and closed in reverse order. */
public final class Assistant implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Assistant.class);

    private final Database db;
    private final ModelManager models;
    private final LifelongServer server;
    private final String host;
    private final Optional<ModelResolver.Choice> choice;
    private final MemoryExtraction extraction;
    private final ChatService chat;

    private final dev.lifelong.assistant.update.UserAdapters adapters;
    private final dev.lifelong.assistant.update.UpdateService updates;
    private final dev.lifelong.assistant.auth.AccountService accounts;
    private final Path ownerKey;
    private DataDirLock lock;
    private boolean tls;

    private Assistant(Database db, ModelManager models, LifelongServer server, String host, Optional<ModelResolver.Choice> choice,
            MemoryExtraction extraction, ChatService chat, dev.lifelong.assistant.update.UserAdapters adapters,
            dev.lifelong.assistant.update.UpdateService updates, dev.lifelong.assistant.auth.AccountService accounts, Path ownerKey) {
        this.chat = chat;
        this.accounts = accounts;
        this.ownerKey = ownerKey;
        this.extraction = extraction;
        this.adapters = adapters;
        this.updates = updates;
        this.db = db;
        this.models = models;
        this.server = server;
        this.host = host;
        this.choice = choice;
    }

    /**
     * Starts everything. A model that cannot be loaded does not stop the server: the UI then shows the model chooser
     * with the reason.
     */
    public static Assistant start(AssistantConfig config, Path seedling) {
        DataDirLock lock = DataDirLock.tryAcquire(config.dataDir()).orElseThrow(() -> new IllegalStateException(
                "another Lifelong server is running on " + config.dataDir() + " (" + DataDirLock.FILE + " is locked)"));
        try {
            return start(config, seedling, lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static Assistant start(AssistantConfig config, Path seedling, DataDirLock lock) {
        Database db = Database.open(config.databaseFile());
        int interrupted = db.messages().markInterrupted();
        if (interrupted > 0) log.info("{} answer(s) were cut off by the last shutdown and are kept as partial", interrupted);
        ModelStore store = new ModelStore(config.dataDir());
        ModelManager models = new ModelManager(config.runtimeOptions(), ModelCatalog.builtIn(), store, seedling, new ModelDownloader());
        Optional<ModelResolver.Choice> choice = ModelResolver.resolve(config.model(), store, seedling);
        if (choice.isPresent()) {
            try {
                if (choice.get().path().equals(seedling)) SeedlingChecksum.verify(seedling);
                models.load(choice.get().path());
            } catch (ModelLoadException e) {
                log.warn("Could not load the {}: {}", choice.get().source(), e.getMessage());
                models.recordError(e.getMessage());
            }
        } else {
            models.recordError("no model is configured and the seedling is not installed");
        }

        try {
            // the embedding model (~1 s, ~100 MB) loads on the first memory request, not at every start
            Supplier<MemoryService> memory = memoize(() -> new MemoryService(db.memories(),
                    OnnxEmbedder.defaults(), Clock.systemUTC()));
            MemoryExtraction extraction = new MemoryExtraction(new ModelMemoryExtractor(models), memory);
            ChatService chat = new ChatService(db, models, config.systemPrompt(), config.chatGenerationOptions(), memory, extraction);
            var adapters = new dev.lifelong.assistant.update.UserAdapters(models, db, config.dataDir(), config.runtimeOptions(), MAX_ADAPTER_INSTANCES);
            chat.useAdapters(adapters);
            var updates = new dev.lifelong.assistant.update.UpdateService(db, models, adapters, config.dataDir(),
                    dev.lifelong.loop.UpdateSettings.defaults().withSystemPrompt(config.systemPrompt()), config.nightlyWindow(),
                    chat::idle, java.time.Duration.ofMinutes(1));
            var accounts = new dev.lifelong.assistant.auth.AccountService(db, config.dataDir(), Clock.systemUTC());
            accounts.onUserRemoved(adapters::userRemoved);
            accounts.onUserRemoved(updates::userRemoved);
            Path ownerKey = accounts.ensureOwnerKey();
            LifelongServer server = LifelongServer.start(config.host(), config.port(), models, chat, memory,
                    db.messages(), config.chatGenerationOptions(), updates, accounts,
                    config.tls() ? new LifelongServer.Tls(config.tlsKeystore(), config.tlsKeystorePassword()) : null,
                    config.acceptedHostNames());
            updates.start();
            Assistant a = new Assistant(db, models, server, config.host(), choice, extraction, chat, adapters, updates, accounts, ownerKey);
            a.lock = lock;
            a.tls = config.tls();
            return a;
        } catch (RuntimeException e) {
            models.close();
            db.close();
            throw e;
        }
    }

    /** Users whose adapters stay loaded at once (each costs a KV cache; the base weights are shared). */
    /** Adapter instances kept loaded at most; the free memory usually allows fewer (InstanceBudget). */
    static final int MAX_ADAPTER_INSTANCES = 16;

    private static <T> Supplier<T> memoize(Supplier<T> factory) {
        return new Supplier<>() {
            // a lock, not synchronized: requests (virtual threads) waiting for the first load must not pin carriers
            private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
            private volatile T value;

            @Override
            public T get() {
                T v = value;
                if (v != null) return v;
                lock.lock();
                try {
                    if (value == null) value = factory.get();
                    return value;
                } finally {
                    lock.unlock();
                }
            }
        };
    }

    public int port() { return server.port(); }

    public String url() {
        String h = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
        return (tls ? "https://" : "http://") + (h.contains(":") ? "[" + h + "]" : h) + ":" + port() + "/";
    }

    public ModelManager models() { return models; }

    public dev.lifelong.assistant.auth.AccountService accounts() { return accounts; }

    /** DIR/owner.key: the owner's API key (mode 600). */
    public Path ownerKeyFile() { return ownerKey; }

    /** The owner's API key, read from owner.key. */
    public String ownerKey() {
        try {
            return java.nio.file.Files.readString(ownerKey).strip();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public Database database() { return db; }

    public MemoryExtraction extraction() { return extraction; }

    /** The chat service both doors (UI and OpenAI API) answer through, with the queue every answer goes through. */
    public ChatService chat() { return chat; }

    public dev.lifelong.assistant.update.UpdateService updates() { return updates; }

    public dev.lifelong.assistant.update.UserAdapters adapters() { return adapters; }

    public Optional<ModelResolver.Choice> modelChoice() { return choice; }

    @Override
    public void close() {
        server.close();
        updates.close();
        extraction.close(); // finishes the extraction in progress before the model and the database go
        adapters.close();
        models.close();
        db.close();
        if (lock != null) lock.close();
    }
}
