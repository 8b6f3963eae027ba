package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.UpdateJob;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.UserSettings;
import dev.lifelong.memory.Users;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scheduling rules on a real database with a clock the test moves; the runner records calls or fails on purpose. */
class UpdateSchedulerTest {
    @TempDir Path dir;

    static final class MovableClock extends Clock {
        Instant now;

        MovableClock(LocalDateTime local) {
            now = local.toInstant(ZoneOffset.UTC);
        }

        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }

        void at(LocalDateTime local) { now = local.toInstant(ZoneOffset.UTC); }

        void plus(Duration d) { now = now.plus(d); }
    }

    static void chat(Database db, long user) {
        Conversation c = db.conversations().create(user, "chat");
        db.messages().append(c.id(), Role.USER, "hello", MessageStatus.COMPLETE);
        db.messages().append(c.id(), Role.ASSISTANT, "hi there", MessageStatus.COMPLETE);
    }

    @Test
    void nightlyJobsAreQueuedInsideTheWindowOnlyForUsersWithNewDataAndRunOnlyWhenIdle() {
        MovableClock clock = new MovableClock(LocalDateTime.of(2026, 11, 25, 12, 0));
        try (Database db = Database.open(dir.resolve("lifelong.db"), clock)) {
            long quiet = Users.create(db, "quiet");
            long owl = Users.create(db, "owl");
            chat(db, Users.OWNER_ID);
            chat(db, owl);
            new UserSettings(db).setUpdateWindow(owl, "12:00-13:00");
            List<Long> ran = new ArrayList<>();
            AtomicBoolean idle = new AtomicBoolean(false);
            UpdateScheduler s = new UpdateScheduler(db, (user, job, l) -> {
                ran.add(user);
                return new UpdateOutcome(null, "nothing new");
            }, clock, UpdateWindow.DEFAULT, idle::get, Duration.ofMinutes(1), new UpdateScheduler.Events() { });
            UpdateJobStore jobs = s.jobs();

            s.queueNightly(); // 12:00: only the owl's own window is open
            assertThat(jobs.list(owl, 5)).hasSize(1);
            assertThat(jobs.list(Users.OWNER_ID, 5)).isEmpty();
            assertThat(s.runOne()).as("not idle: nightly jobs wait").isFalse();
            idle.set(true);
            assertThat(s.runOne()).isTrue();
            assertThat(ran).containsExactly(owl);
            assertThat(jobs.list(owl, 1).getFirst().state()).isEqualTo(UpdateJob.State.SUCCEEDED);

            clock.at(LocalDateTime.of(2026, 11, 26, 3, 0));
            s.queueNightly();
            assertThat(jobs.list(Users.OWNER_ID, 5)).hasSize(1);
            assertThat(jobs.list(quiet, 5)).as("no data, no job").isEmpty();
            assertThat(jobs.list(owl, 5)).hasSize(1);
            s.queueNightly();
            assertThat(jobs.list(Users.OWNER_ID, 5)).as("one queued job per user").hasSize(1);
            assertThat(s.runOne()).isTrue();
            assertThat(ran).containsExactly(owl, Users.OWNER_ID);
            clock.plus(Duration.ofMinutes(30));
            s.queueNightly();
            assertThat(jobs.list(Users.OWNER_ID, 5)).as("ran tonight already").hasSize(1);
        }
    }

    @Test
    void trainNowRunsEvenWhenBusyAndFailuresAreRetriedWithBackoffThenReportedWithTheirCause() {
        MovableClock clock = new MovableClock(LocalDateTime.of(2026, 11, 25, 12, 0));
        try (Database db = Database.open(dir.resolve("lifelong.db"), clock)) {
            chat(db, Users.OWNER_ID);
            List<String> failures = new ArrayList<>();
            UpdateScheduler s = new UpdateScheduler(db, (user, job, l) -> {
                throw new IllegalStateException("disk full while writing the adapter");
            }, clock, UpdateWindow.DEFAULT, () -> false, Duration.ofMinutes(1), new UpdateScheduler.Events() {
                @Override
                public void failed(UpdateJob job, String error, Instant retryAt) {
                    failures.add(error + (retryAt == null ? " / gave up" : " / retry " + Duration.between(clock.instant(), retryAt).toMinutes()));
                }
            });
            UpdateJob job = s.trainNow(Users.OWNER_ID);
            assertThat(s.trainNow(Users.OWNER_ID).id()).as("the same job, not a second one").isEqualTo(job.id());
            assertThat(s.runOne()).isTrue();
            UpdateJob after = s.jobs().find(job.id()).orElseThrow();
            assertThat(after.state()).isEqualTo(UpdateJob.State.QUEUED);
            assertThat(after.error()).isEqualTo("disk full while writing the adapter");
            assertThat(s.runOne()).as("backing off").isFalse();
            for (int i = 0; i < UpdateScheduler.MAX_ATTEMPTS - 1; i++) {
                clock.plus(Duration.ofMinutes(40));
                assertThat(s.runOne()).isTrue();
            }
            assertThat(failures).containsExactly("disk full while writing the adapter / retry 2", "disk full while writing the adapter / retry 8",
                    "disk full while writing the adapter / retry 32", "disk full while writing the adapter / gave up");
            UpdateJob failed = s.jobs().find(job.id()).orElseThrow();
            assertThat(failed.state()).isEqualTo(UpdateJob.State.FAILED);
            assertThat(failed.attempts()).isEqualTo(UpdateScheduler.MAX_ATTEMPTS);
            assertThat(new AdapterVersionStore(db).serving(Users.OWNER_ID)).isEmpty();
        }
    }

    @Test
    void aJobLeftRunningByACrashIsQueuedAgainAtStart() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            UpdateJobStore jobs = new UpdateJobStore(db);
            UpdateJob job = jobs.startNow(Users.OWNER_ID, UpdateJob.Origin.MANUAL);
            List<Long> ran = new ArrayList<>();
            try (UpdateScheduler s = new UpdateScheduler(db, (user, id, l) -> {
                ran.add(id);
                return new UpdateOutcome(null, "nothing new");
            }, Clock.systemUTC(), null, () -> true, Duration.ofMillis(50), new UpdateScheduler.Events() { })) {
                s.start();
                long deadline = System.currentTimeMillis() + 10_000;
                while (ran.isEmpty() && System.currentTimeMillis() < deadline) Thread.onSpinWait();
            }
            assertThat(ran).containsExactly(job.id());
            UpdateJob done = jobs.find(job.id()).orElseThrow();
            assertThat(done.state()).isEqualTo(UpdateJob.State.SUCCEEDED);
            assertThat(done.attempts()).isEqualTo(2);
            assertThat(done.error()).contains("interrupted");
        }
    }

    /** A model that cannot be trained (or does not fit) gets no nightly job, and "train now" says why; permanent
     * failures are not retried. */
    @Test
    void refusedUpdatesAreNotQueuedAndPermanentFailuresAreNotRetried() {
        MovableClock clock = new MovableClock(LocalDateTime.of(2026, 11, 26, 3, 0));
        try (Database db = Database.open(dir.resolve("lifelong.db"), clock)) {
            chat(db, Users.OWNER_ID);
            java.util.concurrent.atomic.AtomicReference<String> refusal = new java.util.concurrent.atomic.AtomicReference<>(
                    "this model chats but cannot be trained by Lifelong: the 'gemma2' architecture is not implemented");
            List<String> failures = new ArrayList<>();
            UpdateScheduler s = new UpdateScheduler(db, (user, job, l) -> {
                throw new LifelongUpdate.UpdateException("training this model needs about 25.0 GB of memory", null, true);
            }, clock, UpdateWindow.DEFAULT, () -> true, Duration.ofMinutes(1), new UpdateScheduler.Events() {
                @Override
                public void failed(UpdateJob job, String error, java.time.Instant retryAt) {
                    failures.add(error + (retryAt == null ? " (final)" : " (retry)"));
                }
            });
            s.refuseWhile(() -> java.util.Optional.ofNullable(refusal.get()));
            s.queueNightly();
            assertThat(s.jobs().list(Users.OWNER_ID, 5)).isEmpty();
            assertThatThrownBy(() -> s.trainNow(Users.OWNER_ID)).isInstanceOf(LifelongUpdate.UpdateException.class)
                    .hasMessageContaining("'gemma2' architecture");
            assertThat(s.jobs().list(Users.OWNER_ID, 5)).isEmpty();

            refusal.set(null); // e.g. another model was chosen
            s.queueNightly();
            assertThat(s.jobs().list(Users.OWNER_ID, 5)).hasSize(1);
            assertThat(s.runOne()).isTrue();
            assertThat(failures).containsExactly("training this model needs about 25.0 GB of memory (final)");
            assertThat(s.jobs().list(Users.OWNER_ID, 1).getFirst().state()).isEqualTo(UpdateJob.State.FAILED);
        }
    }
}
