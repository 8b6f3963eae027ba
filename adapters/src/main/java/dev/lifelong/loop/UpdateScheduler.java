package dev.lifelong.loop;

import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.UpdateJob;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.UserSettings;
import dev.lifelong.memory.Users;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs update jobs one at a time on its own thread. Each tick it queues a nightly job for every user whose window
 * ({@link UpdateWindow#DEFAULT} unless the user set one) contains the local time, who has data newer than the serving
 * adapter and had no successful update in the last 20 hours; nightly jobs start only while the assistant is idle,
 * "train now" jobs start at once. Jobs live in SQLite: one left running by a crash is queued again at start-up and
 * resumes; a failed attempt is retried after 2, 8 and 32 minutes, then marked failed with its cause.
 */
public final class UpdateScheduler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(UpdateScheduler.class);
    public static final int MAX_ATTEMPTS = 4;
    static final Duration MIN_GAP = Duration.ofHours(20);

    /** Runs one job (production: {@link LifelongUpdate#run}). */
    @FunctionalInterface
    public interface Runner {
        UpdateOutcome run(long userId, long jobId, UpdateListener listener) throws Exception;
    }

    /** What the scheduler tells the application (the server swaps adapters and streams progress with it). */
    public interface Events {
        default void started(UpdateJob job) {
        }

        default void phase(UpdateJob job, String phase) {
        }

        default void training(UpdateJob job, TrainingProgress progress) {
        }

        default void evaluation(UpdateJob job, long done, long total) {
        }

        default void finished(UpdateJob job, UpdateOutcome outcome) {
        }

        default void failed(UpdateJob job, String error, Instant retryAt) {
        }
    }

    private final Database db;
    private final UpdateJobStore jobs;
    private final Runner runner;
    private final Clock clock;
    private final UpdateWindow defaultWindow;
    private final BooleanSupplier idle;
    private final Duration tick;
    private final Events events;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private volatile boolean closed;
    private volatile UpdateJob running;
    private volatile java.util.function.Supplier<Optional<String>> refusal = Optional::empty;
    private volatile String lastRefusal;
    private Thread thread;

    /** @param defaultWindow the nightly window of users who did not set one; null = no nightly runs for them */
    public UpdateScheduler(Database db, Runner runner, Clock clock, UpdateWindow defaultWindow, BooleanSupplier idle, Duration tick, Events events) {
        this.db = db;
        this.jobs = new UpdateJobStore(db);
        this.runner = runner;
        this.clock = clock;
        this.defaultWindow = defaultWindow;
        this.idle = idle;
        this.tick = tick;
        this.events = events;
    }

    /** Re-queues jobs a crash interrupted and starts the scheduling thread. */
    public synchronized void start() {
        if (thread != null) return;
        int requeued = jobs.requeueInterrupted();
        if (requeued > 0) log.info("{} update job(s) interrupted by a restart are queued again", requeued);
        thread = new Thread(this::loop, "lifelong-updates");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * While {@code refusal} gives a reason (the model cannot be trained by Lifelong, or does not fit in memory), no
     * nightly job is queued and "train now" is refused with that reason: a job that can only fail is not scheduled.
     */
    public void refuseWhile(java.util.function.Supplier<Optional<String>> refusal) {
        this.refusal = refusal;
    }

    /** Why updates cannot run now, if they cannot. */
    public Optional<String> refusal() {
        return refusal.get();
    }

    /**
     * Queues a "train now" job for the user (or returns the one already queued or running) and wakes the scheduler.
     *
     * @throws LifelongUpdate.UpdateException (permanent) when updates are refused, see {@link #refuseWhile}
     */
    public UpdateJob trainNow(long userId) {
        Optional<String> refused = refusal.get();
        if (refused.isPresent()) throw new LifelongUpdate.UpdateException(refused.get(), null, true);
        UpdateJob job = jobs.enqueue(userId, UpdateJob.Origin.MANUAL);
        poke();
        return job;
    }

    /** The job running now, if any. */
    public Optional<UpdateJob> running() {
        return Optional.ofNullable(running);
    }

    public UpdateJobStore jobs() {
        return jobs;
    }

    private void poke() {
        lock.lock();
        try {
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (!closed) {
            try {
                queueNightly();
                while (!closed && runOne()) {
                    // keep going while jobs are ready
                }
            } catch (RuntimeException e) {
                log.warn("Update scheduler tick failed: {}", e.toString());
            }
            lock.lock();
            try {
                if (!closed) wake.await(tick.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
        }
    }

    /** Queues nightly jobs that are due; public for tests that drive the clock. */
    public void queueNightly() {
        Optional<String> refused = refusal.get();
        if (refused.isPresent()) {
            if (!refused.get().equals(lastRefusal)) log.warn("Nightly updates are not scheduled: {}", refused.get());
            lastRefusal = refused.get();
            return;
        }
        lastRefusal = null;
        LocalTime now = LocalTime.now(clock);
        UserSettings settings = new UserSettings(db);
        AdapterVersionStore versions = new AdapterVersionStore(db);
        for (Users.User u : Users.list(db)) {
            UpdateWindow window;
            try {
                var own = settings.updateWindow(u.id());
                window = own.isPresent() ? (own.get().equals("off") ? null : UpdateWindow.parse(own.get())) : defaultWindow;
            } catch (IllegalArgumentException e) {
                window = defaultWindow;
            }
            if (window == null || !window.contains(now)) continue;
            Optional<Instant> last = jobs.lastSucceeded(u.id());
            if (last.isPresent() && last.get().isAfter(clock.instant().minus(MIN_GAP))) continue;
            if (jobs.list(u.id(), 1).stream().anyMatch(UpdateJob::active)) continue;
            long after = versions.serving(u.id()).map(AdapterVersion::dataUntilMessageId).orElse(0L);
            if (db.messages().lastIdOf(u.id()) <= after) continue;
            UpdateJob job = jobs.enqueue(u.id(), UpdateJob.Origin.NIGHTLY);
            log.info("Queued the nightly update of user {} (job {})", u.id(), job.id());
        }
    }

    /** Runs the next ready job, if any; returns whether one ran. Public for tests. */
    public boolean runOne() {
        Optional<UpdateJob> next = jobs.claimNext(idle.getAsBoolean());
        if (next.isEmpty()) return false;
        UpdateJob job = next.get();
        running = job;
        events.started(job);
        try {
            UpdateOutcome outcome = runner.run(job.userId(), job.id(), new UpdateListener() {
                @Override
                public void phase(String phase) {
                    jobs.phase(job.id(), phase);
                    events.phase(job, phase);
                }

                @Override
                public void training(TrainingProgress progress) {
                    events.training(job, progress);
                }

                @Override
                public void evaluation(long done, long total) {
                    events.evaluation(job, done, total);
                }
            });
            jobs.succeeded(job.id(), outcome.version() == null ? null : outcome.version().id());
            log.info("Update job {} of user {}: {}", job.id(), job.userId(), outcome.summary());
            events.finished(jobs.find(job.id()).orElse(job), outcome);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            String error = e.getMessage() == null ? e.toString() : e.getMessage();
            int attempts = job.attempts();
            // A refusal (model cannot be trained, does not fit in memory) is not retried: it would fail the same way.
            boolean permanent = e instanceof LifelongUpdate.UpdateException u && u.permanent();
            Instant retryAt = !permanent && attempts < MAX_ATTEMPTS ? clock.instant().plus(backoff(attempts)) : null;
            jobs.failed(job.id(), error, retryAt);
            log.warn("Update job {} of user {} failed (attempt {}): {}{}", job.id(), job.userId(), attempts, error,
                    retryAt == null ? "; giving up" : "; retrying at " + retryAt);
            events.failed(jobs.find(job.id()).orElse(job), error, retryAt);
        } finally {
            running = null;
        }
        return true;
    }

    /** 2, 8, 32 minutes after the 1st, 2nd, 3rd failed attempt. */
    static Duration backoff(int attempts) {
        return Duration.ofMinutes(2L << (2 * (attempts - 1)));
    }

    @Override
    public void close() {
        closed = true;
        poke();
        Thread t = thread;
        if (t != null) {
            try {
                t.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
