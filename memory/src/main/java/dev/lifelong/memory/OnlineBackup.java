package dev.lifelong.memory;

import org.sqlite.SQLiteConnection;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * SQLite's online backup API on a connection of its own: a consistent copy of a database that another process (the
 * running server) keeps using. In WAL mode the copy holds a read snapshot, so writers are not blocked; it copies all
 * pages in one step because a step-wise backup restarts whenever another connection writes, and a busy server could
 * keep it from ever finishing.
 */
public final class OnlineBackup {
    private OnlineBackup() {}

    /** Copies {@code source} into {@code target} (created or overwritten). */
    public static void copy(Path source, Path target) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + source.toAbsolutePath())) {
            try (var s = c.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
            }
            int rc = ((SQLiteConnection) c).getDatabase().backup("main", target.toAbsolutePath().toString(), null, 100, 100, -1);
            if (rc != 0) throw new StorageException("SQLite backup of " + source + " ended with code " + rc);
        } catch (SQLException e) {
            throw new StorageException("cannot back up " + source + ": " + e.getMessage(), e);
        }
    }

    /** {@code PRAGMA integrity_check} of a database file, opened read-only; "ok" when sound. */
    public static String integrityCheck(Path file) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + file.toAbsolutePath() + "?mode=ro");
             var s = c.createStatement(); var rs = s.executeQuery("PRAGMA integrity_check")) {
            StringBuilder out = new StringBuilder();
            while (rs.next()) out.append(out.isEmpty() ? "" : "; ").append(rs.getString(1));
            return out.toString();
        } catch (SQLException e) {
            return "cannot open: " + e.getMessage();
        }
    }
}
