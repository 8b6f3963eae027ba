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

/**
 * The adapter versions of each user. At most one per user is serving; switching it is one transaction, so a crash
 * leaves either the old or the new adapter serving, never none or both.
 */
public final class AdapterVersionStore {
    private static final String COLUMNS = "id, user_id, version, parent_id, state, serving, file, sha256, base_sha256,"
            + " dataset_sha256, data_until_message_id, report, reason, created_at, promoted_at";

    private final Database database;

    public AdapterVersionStore(Database database) {
        this.database = database;
    }

    /** What a finished training run adds. */
    public record NewVersion(long userId, Long jobId, Long parentId, boolean promote, String file, String sha256, String baseSha256,
            String datasetSha256, long dataUntilMessageId, String report, String reason) {
    }

    /**
     * Records a trained adapter with the next version number; if {@code promote}, it becomes the one serving in the same
     * transaction.
     */
    public AdapterVersion add(NewVersion v) {
        return database.inTransaction(connection -> {
            int next;
            try (PreparedStatement q = connection.prepareStatement("SELECT COALESCE(MAX(version), 0) + 1 FROM adapter_versions WHERE user_id = ?")) {
                q.setLong(1, v.userId());
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    next = rs.getInt(1);
                }
            }
            long now = database.clock().millis();
            if (v.promote()) clearServing(connection, v.userId());
            long id;
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO adapter_versions (user_id, job_id, version, parent_id,"
                    + " state, serving, file, sha256, base_sha256, dataset_sha256, data_until_message_id, report, reason, created_at,"
                    + " promoted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                int c = 1;
                insert.setLong(c++, v.userId());
                if (v.jobId() == null) insert.setNull(c++, Types.INTEGER); else insert.setLong(c++, v.jobId());
                insert.setInt(c++, next);
                if (v.parentId() == null) insert.setNull(c++, Types.INTEGER); else insert.setLong(c++, v.parentId());
                insert.setString(c++, v.promote() ? "promoted" : "rejected");
                insert.setInt(c++, v.promote() ? 1 : 0);
                insert.setString(c++, v.file());
                insert.setString(c++, v.sha256());
                insert.setString(c++, v.baseSha256());
                insert.setString(c++, v.datasetSha256());
                insert.setLong(c++, v.dataUntilMessageId());
                insert.setString(c++, v.report());
                insert.setString(c++, v.reason());
                insert.setLong(c++, now);
                if (v.promote()) insert.setLong(c, now); else insert.setNull(c, Types.INTEGER);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
            }
            return find(connection, v.userId(), id).orElseThrow();
        });
    }

    /** The version a job produced, if it got that far (a job re-run after a crash must not train twice). */
    public Optional<AdapterVersion> byJob(long userId, long jobId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM adapter_versions WHERE user_id = ? AND job_id = ?")) {
                q.setLong(1, userId);
                q.setLong(2, jobId);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The next version number the user's next adapter will get. */
    public int nextVersion(long userId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT COALESCE(MAX(version), 0) + 1 FROM adapter_versions WHERE user_id = ?")) {
                q.setLong(1, userId);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** The version serving the user now, if any. */
    public Optional<AdapterVersion> serving(long userId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM adapter_versions WHERE user_id = ? AND serving = 1")) {
                q.setLong(1, userId);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /** The user's versions, newest first. */
    public List<AdapterVersion> list(long userId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM adapter_versions WHERE user_id = ? ORDER BY version DESC")) {
                q.setLong(1, userId);
                try (ResultSet rs = q.executeQuery()) {
                    List<AdapterVersion> out = new ArrayList<>();
                    while (rs.next()) out.add(read(rs));
                    return out;
                }
            }
        });
    }

    public Optional<AdapterVersion> find(long userId, long id) {
        return database.read(connection -> find(connection, userId, id));
    }

    /**
     * Makes a promoted version with its file still present the serving one (a rollback, or back to a newer one).
     *
     * @throws IllegalArgumentException if the user has no such version, it was rejected, or its file was deleted
     */
    public AdapterVersion serve(long userId, long id) {
        return database.inTransaction(connection -> {
            AdapterVersion v = find(connection, userId, id).orElseThrow(() -> new IllegalArgumentException("no adapter version with id " + id));
            if (v.state() != AdapterVersion.State.PROMOTED) {
                throw new IllegalArgumentException("version " + v.version() + " was rejected by the gate and cannot serve");
            }
            if (v.file() == null) throw new IllegalArgumentException("version " + v.version() + " was deleted by the retention policy");
            clearServing(connection, userId);
            try (PreparedStatement u = connection.prepareStatement("UPDATE adapter_versions SET serving = 1 WHERE id = ?")) {
                u.setLong(1, id);
                u.executeUpdate();
            }
            return find(connection, userId, id).orElseThrow();
        });
    }

    /** Stops serving any adapter for the user (answers come from the base model). */
    public void serveBase(long userId) {
        database.inTransaction(connection -> {
            clearServing(connection, userId);
            return null;
        });
    }

    /** Records that a version's file was deleted (retention, rejection). */
    public void fileDeleted(long id) {
        database.inTransaction(connection -> {
            try (PreparedStatement u = connection.prepareStatement("UPDATE adapter_versions SET file = NULL WHERE id = ? AND serving = 0")) {
                u.setLong(1, id);
                u.executeUpdate();
            }
            return null;
        });
    }

    private static void clearServing(Connection connection, long userId) throws SQLException {
        try (PreparedStatement u = connection.prepareStatement("UPDATE adapter_versions SET serving = 0 WHERE user_id = ? AND serving = 1")) {
            u.setLong(1, userId);
            u.executeUpdate();
        }
    }

    private static Optional<AdapterVersion> find(Connection connection, long userId, long id) throws SQLException {
        try (PreparedStatement q = connection.prepareStatement("SELECT " + COLUMNS + " FROM adapter_versions WHERE id = ? AND user_id = ?")) {
            q.setLong(1, id);
            q.setLong(2, userId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static AdapterVersion read(ResultSet rs) throws SQLException {
        long parent = rs.getLong(4);
        Long parentId = rs.wasNull() ? null : parent;
        long promoted = rs.getLong(15);
        Instant promotedAt = rs.wasNull() ? null : Instant.ofEpochMilli(promoted);
        return new AdapterVersion(rs.getLong(1), rs.getLong(2), rs.getInt(3), parentId,
                AdapterVersion.State.valueOf(rs.getString(5).toUpperCase(Locale.ROOT)), rs.getInt(6) == 1, rs.getString(7),
                rs.getString(8), rs.getString(9), rs.getString(10), rs.getLong(11), rs.getString(12), rs.getString(13),
                Instant.ofEpochMilli(rs.getLong(14)), promotedAt);
    }
}
