package dev.lifelong.assistant.update;

import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.loop.LifelongUpdate;
import dev.lifelong.loop.TrainingReport;
import dev.lifelong.loop.UpdateOutcome;
import dev.lifelong.loop.UpdateScheduler;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.loop.UpdateWindow;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.UpdateJob;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The lifelong loop inside the running assistant: the scheduler, the update runs against the model being served, live
 * progress for the UI, promotion followed by a hot swap, and rollback.
 */
public final class UpdateService implements AutoCloseable {
    /** What the UI shows while a job runs and after it ended. */
    public record Progress(long jobId, long userId, String state, String phase, int step, int totalSteps, double loss,
            double etaSeconds, List<Double> losses, String message, Integer version) {
    }

    private final Database db;
    private final ModelManager models;
    private final UserAdapters adapters;
    private final Path dataDir;
    private final UpdateSettings settings;
    private final AdapterVersionStore versions;
    private final UpdateScheduler scheduler;
    private final Map<Long, Progress> latest = new ConcurrentHashMap<>();
    private final Optional<UpdateWindow> defaultWindow;
    private final List<Consumer<Progress>> listeners = new CopyOnWriteArrayList<>();
    private final java.util.Set<Long> removed = ConcurrentHashMap.newKeySet();

    public UpdateService(Database db, ModelManager models, UserAdapters adapters, Path dataDir, UpdateSettings settings,
            Optional<UpdateWindow> nightly, BooleanSupplier idle, Duration tick) {
        this.db = db;
        this.models = models;
        this.adapters = adapters;
        this.dataDir = dataDir;
        this.settings = settings;
        this.versions = new AdapterVersionStore(db);
        this.defaultWindow = nightly;
        // With nightly updates off (no default window) only users who set their own window get nightly runs; "train
        // now" always works.
        this.scheduler = new UpdateScheduler(db, this::runJob, Clock.systemDefaultZone(), nightly.orElse(null), idle, tick, new Events());
        // A model Lifelong cannot train, or one whose training does not fit in memory, gets no nightly job (it could
        // only fail); "train now" answers with the reason.
        this.scheduler.refuseWhile(this::refusal);
    }

    private final java.util.concurrent.atomic.AtomicReference<Map.Entry<Path, TrainingReport>> report =
            new java.util.concurrent.atomic.AtomicReference<>();

    /** What training can do with the model being served (cached per model file; free memory is read each time). */
    public Optional<TrainingReport> trainingReport() {
        var loaded = models.current();
        if (loaded.isEmpty()) return Optional.empty();
        Path file = loaded.get().runtime().file();
        Map.Entry<Path, TrainingReport> cached = report.get();
        if (cached == null || !cached.getKey().equals(file)) {
            cached = Map.entry(file, TrainingReport.of(file, settings));
            report.set(cached);
        }
        return Optional.of(cached.getValue());
    }

    /** Why updates cannot run now, if they cannot. */
    public Optional<String> refusal() {
        return trainingReport().flatMap(r -> r.refusal(dev.lifelong.lora.MemoryPlan.availableMemory()));
    }

    public void start() {
        scheduler.start();
    }

    private UpdateOutcome runJob(long userId, long jobId, dev.lifelong.loop.UpdateListener listener) throws Exception {
        Path base = models.require().runtime().file();
        return new LifelongUpdate(db, dataDir, base, settings).run(userId, jobId, listener);
    }

    /** Queues "train now" for the user; returns the job (an already queued or running one if there is). */
    /** Writes the user's personal model bundle to a temporary file (the caller sends and deletes it). */
    public Path exportBundle(long userId) throws java.io.IOException {
        String name = db.accounts().find(userId).map(dev.lifelong.memory.Accounts.Account::name).orElseThrow();
        Path tmp = java.nio.file.Files.createTempFile(dataDir, ".export-", ".zip");
        dev.lifelong.assistant.portable.PersonalModelBundle.export(db, dataDir, userId, name, models.require().runtime().file(), tmp,
                settings.systemPrompt(), (done, total) -> { });
        return tmp;
    }

    /**
     * @throws LifelongUpdate.UpdateException when updates are refused for the model being served (the message says why)
     */
    public UpdateJob trainNow(long userId) {
        UpdateJob job = scheduler.trainNow(userId);
        publish(new Progress(job.id(), userId, job.state().name().toLowerCase(), job.phase() == null ? "queued" : job.phase(), 0, 0,
                Double.NaN, -1, List.of(), null, null));
        return job;
    }

    public List<AdapterVersion> versions(long userId) {
        return versions.list(userId);
    }

    public Optional<AdapterVersion> serving(long userId) {
        return versions.serving(userId);
    }

    public List<UpdateJob> jobs(long userId) {
        return scheduler.jobs().list(userId, 20);
    }

    public Optional<Progress> progress(long userId) {
        return Optional.ofNullable(latest.get(userId));
    }

    /** Serves one of the user's earlier promoted versions (rollback) and swaps it in. */
    public AdapterVersion serve(long userId, long versionId) {
        AdapterVersion v = versions.serve(userId, versionId);
        adapters.invalidate(userId);
        return v;
    }

    /** Answers the user with the base model, no adapter. */
    public void serveBase(long userId) {
        versions.serveBase(userId);
        adapters.invalidate(userId);
    }

    /** The user's nightly window: their own, else the installation's; empty = no nightly runs. */
    public Optional<UpdateWindow> window(long userId) {
        Optional<String> own = new dev.lifelong.memory.UserSettings(db).updateWindow(userId);
        if (own.isPresent()) return own.get().equals("off") ? Optional.empty() : Optional.of(UpdateWindow.parse(own.get()));
        return defaultWindow;
    }

    /**
     * Sets the user's own nightly window ("HH:MM-HH:MM" or "off").
     *
     * @throws IllegalArgumentException with the expected format
     */
    public void setWindow(long userId, String window) {
        if (!window.equals("off")) UpdateWindow.parse(window);
        new dev.lifelong.memory.UserSettings(db).setUpdateWindow(userId, window);
    }

    /** Retention: keeps the files of the newest {@code keep} promoted versions (and the serving one). */
    public int prune(long userId, int keep) throws java.io.IOException {
        return LifelongUpdate.prune(db, dataDir, userId, keep);
    }

    /**
     * Forgets a removed user: their progress goes, and their running update (if any) stops at its next step: nothing
     * of theirs is trained, stored or reported after this.
     */
    public void userRemoved(long userId) {
        removed.add(userId);
        latest.remove(userId);
    }

    /** Thrown into a removed user's running update to stop it (the trainer process is killed on the way out). */
    static final class UserRemovedException extends RuntimeException {
        UserRemovedException(long userId) { super("user " + userId + " was removed"); }
    }

    private void stopIfRemoved(UpdateJob job) {
        if (removed.contains(job.userId())) throw new UserRemovedException(job.userId());
    }

    /** After a removed user's run ended: whatever it wrote under their folder goes too. */
    private void cleanUpIfRemoved(UpdateJob job) {
        if (!removed.contains(job.userId())) return;
        try {
            dev.lifelong.io.DurableFiles.deleteTree(dataDir.resolve("adapters").resolve("user-" + job.userId()));
        } catch (java.io.IOException e) {
            org.slf4j.LoggerFactory.getLogger(UpdateService.class).warn("Could not delete the files of removed user {}: {}",
                    job.userId(), e.getMessage());
        }
    }

    public Runnable subscribe(Consumer<Progress> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void publish(Progress p) {
        if (removed.contains(p.userId())) return;
        latest.put(p.userId(), p);
        for (Consumer<Progress> l : listeners) {
            try {
                l.accept(p);
            } catch (RuntimeException ignored) {
                // a listener whose client left removes itself
            }
        }
    }

    /** The night in words (the version's plain summary), else the gate's summary. */
    public static String plain(UpdateOutcome outcome) {
        if (outcome.version() != null && outcome.version().report() != null) {
            try {
                String plain = new com.fasterxml.jackson.databind.ObjectMapper().readTree(outcome.version().report())
                        .path("plainSummary").asText("");
                if (!plain.isBlank()) return plain;
            } catch (java.io.IOException e) {
                // fall back to the gate's summary
            }
        }
        return outcome.summary();
    }

    private final class Events implements UpdateScheduler.Events {
        private final Map<Long, List<Double>> losses = new ConcurrentHashMap<>();

        @Override
        public void started(UpdateJob job) {
            losses.put(job.id(), new CopyOnWriteArrayList<>());
            publish(new Progress(job.id(), job.userId(), "running", "starting", 0, 0, Double.NaN, -1, List.of(), null, null));
        }

        @Override
        public void phase(UpdateJob job, String phase) {
            stopIfRemoved(job);
            Progress last = latest.get(job.userId());
            publish(new Progress(job.id(), job.userId(), "running", phase, last == null ? 0 : last.step(), last == null ? 0 : last.totalSteps(),
                    last == null ? Double.NaN : last.loss(), -1, List.copyOf(losses.getOrDefault(job.id(), List.of())), null, null));
        }

        @Override
        public void training(UpdateJob job, TrainingProgress p) {
            stopIfRemoved(job);
            List<Double> l = losses.computeIfAbsent(job.id(), k -> new CopyOnWriteArrayList<>());
            l.add(p.loss());
            publish(new Progress(job.id(), job.userId(), "running", "training", p.step(), p.totalSteps(), p.loss(), p.etaSeconds(),
                    new ArrayList<>(l), null, null));
        }

        /** Evaluation progress in tokens scored (the UI's bar moves while the gate's figures are computed). */
        @Override
        public void evaluation(UpdateJob job, long done, long total) {
            publish(new Progress(job.id(), job.userId(), "running", "evaluating", (int) Math.min(Integer.MAX_VALUE, done),
                    (int) Math.min(Integer.MAX_VALUE, total), Double.NaN, -1, List.copyOf(losses.getOrDefault(job.id(), List.of())),
                    null, null));
        }

        @Override
        public void finished(UpdateJob job, UpdateOutcome outcome) {
            cleanUpIfRemoved(job);
            if (outcome.promoted() && !removed.contains(job.userId())) {
                adapters.invalidate(job.userId());
                try {
                    adapters.forUser(job.userId()); // load it now, not on the user's next message
                } catch (RuntimeException ignored) {
                    // no model loaded right now: the next request loads it
                }
            }
            publish(new Progress(job.id(), job.userId(), "succeeded", "done", 0, 0, Double.NaN, 0,
                    List.copyOf(losses.getOrDefault(job.id(), List.of())), plain(outcome),
                    outcome.version() == null ? null : outcome.version().version()));
            losses.remove(job.id());
        }

        @Override
        public void failed(UpdateJob job, String error, Instant retryAt) {
            cleanUpIfRemoved(job);
            publish(new Progress(job.id(), job.userId(), retryAt == null ? "failed" : "retrying", retryAt == null ? "failed" : "waiting to retry",
                    0, 0, Double.NaN, -1, List.copyOf(losses.getOrDefault(job.id(), List.of())),
                    error + (retryAt == null ? "" : " — retrying at " + retryAt), null));
        }
    }

    @Override
    public void close() {
        scheduler.close();
    }
}
