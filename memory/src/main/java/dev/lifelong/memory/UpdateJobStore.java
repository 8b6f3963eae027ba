package dev.lifelong.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** Update jobs survive restarts: they live here, and a job left running by a crash is queued again at start-up. */
public final class UpdateJobStore {
    private static final String COLUMNS = "id, user_id, origin, state, attempts, not_before, phase, error,"
            + " adapter_version_id, created_at, started_at, finished_at";

    private final Database database;

    public UpdateJobStore(Database database) {
        this.database = database;
    }

    /** Queues an update for the user, or returns the one already queued or running (one per user at a time). */
    public UpdateJob enqueue(long userId, UpdateJob.Origin origin) {
        return database.inTransaction(connection -> {
            Optional<UpdateJob> open = active(connection, userId);
            if (open.isPresent()) return open.get();
            long now = database.clock().millis();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO update_jobs (user_id, origin, state, not_before,"
                    + " created_at) VALUES (?, ?, 'queued', ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, userId);
                insert.setString(2, origin.name().toLowerCase(Locale.ROOT));
                insert.setLong(3, now);
                insert.setLong(4, now);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return find(connection, keys.getLong(1)).orElseThrow();
                }
            }
        });
    }

    /**
     * Starts a job for the user right away (the CLI's {@code update --now}), marked running.
     *
     * @throws IllegalStateException naming the job when one is already queued or running for the user
     */
    public UpdateJob startNow(long userId, UpdateJob.Origin origin) {
        return database.inTransaction(connection -> {
            Optional<UpdateJob> open = active(connection, userId);
            if (open.isPresent()) {
                throw new IllegalStateException("update job " + open.get().id() + " is already "
                        + open.get().state().name().toLowerCase(Locale.ROOT) + " for this user");
            }
            long now = database.clock().millis();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO update_jobs (user_id, origin, state, attempts,"
                    + " not_before, phase, created_at, started_at) VALUES (?, ?, 'running', 1, ?, 'starting', ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, userId);
                insert.setString(2, origin.name().toLowerCase(Locale.ROOT));
                insert.setLong(3, now);
                insert.setLong(4, now);
                insert.setLong(5, now);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return find(connection, keys.getLong(1)).orElseThrow();
                }
            }
        });
    }

    /** Marks a queued (or interrupted running) job as running again: one more attempt. */
    public UpdateJob restart(long id) {
        return database.inTransaction(connection -> {
            try (PreparedStatement u = connection.prepareStatement("UPDATE update_jobs SET state = 'running', attempts = attempts + 1,"
                    + " started_at = ?, phase = 'starting' WHERE id = ? AND state IN ('queued', 'running')")) {
                u.setLong(1, database.clock().millis());
                u.setLong(2, id);
                if (u.executeUpdate() == 0) throw new IllegalStateException("update job " + id + " has already finished");
            }
            return find(connection, id).orElseThrow();
        });
    }

    /** Takes the oldest queued job that may start now and marks it running; empty if none. */
    public Optional<UpdateJob> claimNext() {
        return claimNext(true);
    }

    /** As {@link #claimNext()}; with {@code nightly} false only manual ("train now") jobs are taken. */
    public Optional<UpdateJob> claimNext(boolean nightly) {
        return database.inTransaction(connection -> {
            long now = database.clock().millis();
            long id;
            try (PreparedStatement q = connection.prepareStatement("SELECT id FROM update_jobs WHERE state = 'queued' AND not_before <= ?"
                    + (nightly ? "" : " AND origin = 'manual'") + " ORDER BY not_before, id LIMIT 1")) {
                q.setLong(1, now);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) return Optional.empty();
                    id = rs.getLong(1);
                }
            }
            try (PreparedStatement u = connection.prepareStatement("UPDATE update_jobs SET state = 'running', attempts = attempts + 1,"
                    + " started_at = ?, phase = 'starting' WHERE id = ?")) {
                u.setLong(1, now);
                u.setLong(2, id);
                u.executeUpdate();
            }
            return find(connection, id);
        });
    }

    public void phase(long id, String phase) {
        update("UPDATE update_jobs SET phase = ? WHERE id = ?", ps -> {
            ps.setString(1, phase);
            ps.setLong(2, id);
        });
    }

    public void succeeded(long id, Long adapterVersionId) {
        update("UPDATE update_jobs SET state = 'succeeded', phase = 'done', finished_at = ?, adapter_version_id = ? WHERE id = ?", ps -> {
            ps.setLong(1, database.clock().millis());
            if (adapterVersionId == null) ps.setNull(2, Types.INTEGER); else ps.setLong(2, adapterVersionId);
            ps.setLong(3, id);
        });
    }

    /** Records a failed attempt: queued again at {@code retryAt}, or failed for good when that is null. */
    public void failed(long id, String error, Instant retryAt) {
        if (retryAt == null) {
            update("UPDATE update_jobs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?", ps -> {
                ps.setString(1, error);
                ps.setLong(2, database.clock().millis());
                ps.setLong(3, id);
            });
        } else {
            update("UPDATE update_jobs SET state = 'queued', error = ?, not_before = ? WHERE id = ?", ps -> {
                ps.setString(1, error);
                ps.setLong(2, retryAt.toEpochMilli());
                ps.setLong(3, id);
            });
        }
    }

    /** At start-up: jobs a crash left running are queued again (their training resumes from its checkpoint). */
    public int requeueInterrupted() {
        return database.inTransaction(connection -> {
            try (PreparedStatement u = connection.prepareStatement("UPDATE update_jobs SET state = 'queued',"
                    + " error = 'interrupted (the assistant stopped while it ran); resumed', not_before = ? WHERE state = 'running'")) {
                u.setLong(1, database.clock().millis());
                return u.executeUpdate();
            }
        });
    }

    public Optional<UpdateJob> find(long id) {
        return database.read(connection -> find(connection, id));
    }

    /** The user's jobs, newest first. */
    public List<UpdateJob> list(long userId, int limit) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM update_jobs WHERE user_id = ?"
                    + " ORDER BY id DESC LIMIT ?")) {
                q.setLong(1, userId);
                q.setInt(2, limit);
                try (ResultSet rs = q.executeQuery()) {
                    List<UpdateJob> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    /** When the user's last update finished successfully (any verdict), if ever. */
    public Optional<Instant> lastSucceeded(long userId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT MAX(finished_at) FROM update_jobs WHERE user_id = ? AND state = 'succeeded'")) {
                q.setLong(1, userId);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    long t = rs.getLong(1);
                    return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(t));
                }
            }
        });
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private void update(String sql, Binder binder) {
        database.inTransaction(connection -> {
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                binder.bind(ps);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /** The user's queued or running job, if any (there is at most one). */
    private static Optional<UpdateJob> active(Connection connection, long userId) throws SQLException {
        try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM update_jobs WHERE user_id = ?"
                + " AND state IN ('queued', 'running') ORDER BY id LIMIT 1")) {
            q.setLong(1, userId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static Optional<UpdateJob> find(Connection connection, long id) throws SQLException {
        try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM update_jobs WHERE id = ?")) {
            q.setLong(1, id);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static UpdateJob read(ResultSet rs) throws SQLException {
        long version = rs.getLong(9);
        Long versionId = rs.wasNull() ? null : version;
        return new UpdateJob(rs.getLong(1), rs.getLong(2), UpdateJob.Origin.valueOf(rs.getString(3).toUpperCase(Locale.ROOT)),
                UpdateJob.State.valueOf(rs.getString(4).toUpperCase(Locale.ROOT)), rs.getInt(5), Instant.ofEpochMilli(rs.getLong(6)),
                rs.getString(7), rs.getString(8), versionId, Instant.ofEpochMilli(rs.getLong(10)), instant(rs, 11), instant(rs, 12));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long t = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(t);
    }
}
