package dev.lifelong.memory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the versioned SQL migrations (classpath resources named {@code V<n>__<what>.sql}) that the database has not
 * seen yet, each in its own transaction, and records them in {@code schema_version}. A database newer than the code is
 * refused rather than touched.
 *
 * <p>The list is explicit (not a classpath scan) so it works the same from a jar, a folder, or a jlink image. Scripts
 * are split on semicolons outside quotes and comments; they must not contain triggers (BEGIN...END bodies). A script
 * whose first line is {@value #FOREIGN_KEYS_OFF} runs with foreign keys off (SQLite's way to rebuild a table that others
 * refer to: dropping it with foreign keys on would delete the rows that refer to it) and commits only when
 * {@code PRAGMA foreign_key_check} finds nothing.
 */
final class MigrationRunner {
    private static final Logger log = LoggerFactory.getLogger(MigrationRunner.class);
    private static final Pattern NAME = Pattern.compile("V(\\d+)__(\\w+)\\.sql");
    static final String FOREIGN_KEYS_OFF = "-- lifelong:foreign-keys-off";

    /** Every migration the code knows, oldest first. Add new ones at the end; never edit a released one. */
    private static final List<String> STANDARD = List.of(
            "db/migration/V1__init.sql",
            "db/migration/V2__memories.sql",
            "db/migration/V3__lifelong_loop.sql",
            "db/migration/V4__accounts.sql",
            "db/migration/V5__stable_user_ids.sql");

    record Migration(int version, String description, String resource) {
    }

    private final List<Migration> migrations;

    MigrationRunner(List<String> resources) {
        List<Migration> parsed = new ArrayList<>();
        for (String resource : resources) {
            String fileName = resource.substring(resource.lastIndexOf('/') + 1);
            Matcher m = NAME.matcher(fileName);
            if (!m.matches()) {
                throw new IllegalArgumentException("migration name must look like V<n>__<what>.sql: " + resource);
            }
            int version = Integer.parseInt(m.group(1));
            if (version != parsed.size() + 1) {
                throw new IllegalArgumentException(
                        "migrations must be numbered 1, 2, 3... without gaps; got " + resource + " at position "
                                + (parsed.size() + 1));
            }
            parsed.add(new Migration(version, m.group(2), resource));
        }
        this.migrations = List.copyOf(parsed);
    }

    static MigrationRunner standard() {
        return new MigrationRunner(STANDARD);
    }

    /** The version a fully migrated database has. */
    int latestVersion() {
        return migrations.size();
    }

    /** Brings the database to {@link #latestVersion()} and returns it. */
    int migrate(Connection connection, Path file) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS schema_version ("
                    + "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        }
        int current = currentVersion(connection);
        refuseIfNewer(current, file);
        for (Migration migration : migrations) {
            if (migration.version() <= current) {
                continue;
            }
            apply(connection, file, migration);
            current = migration.version();
        }
        return current;
    }

    private void refuseIfNewer(int current, Path file) {
        if (current > latestVersion()) {
            throw new StorageException("The database " + file + " has schema version " + current
                    + ", but this version of Lifelong only knows schema versions up to " + latestVersion()
                    + ". It was written by a newer Lifelong; upgrade Lifelong to open it (the file was left untouched).");
        }
    }

    static int currentVersion(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT COALESCE(MAX(version), 0) FROM schema_version")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private void apply(Connection connection, Path file, Migration migration) throws SQLException {
        String script = load(migration.resource());
        boolean foreignKeysOff = script.startsWith(FOREIGN_KEYS_OFF);
        if (!foreignKeysOff) {
            applyInTransaction(connection, file, migration, splitStatements(script), false);
            return;
        }
        boolean wereOn = pragmaIsOn(connection, "foreign_keys");
        try (Statement statement = connection.createStatement()) {
            // a no-op inside a transaction, so it is switched before BEGIN
            statement.execute("PRAGMA foreign_keys = OFF");
        }
        try {
            applyInTransaction(connection, file, migration, splitStatements(script), true);
        } finally {
            if (wereOn) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("PRAGMA foreign_keys = ON");
                }
            }
        }
    }

    private static boolean pragmaIsOn(Connection connection, String pragma) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery("PRAGMA " + pragma)) {
            return rs.next() && rs.getInt(1) == 1;
        }
    }

    private void applyInTransaction(Connection connection, Path file, Migration migration, List<String> statements,
            boolean checkForeignKeys) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
        }
        boolean committed = false;
        try {
            // Another process may have migrated while we waited for the write lock.
            int current = currentVersion(connection);
            refuseIfNewer(current, file);
            if (current >= migration.version()) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("COMMIT");
                }
                committed = true;
                return;
            }
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements) {
                    statement.execute(sql);
                }
            }
            if (checkForeignKeys) {
                try (Statement statement = connection.createStatement();
                     ResultSet broken = statement.executeQuery("PRAGMA foreign_key_check")) {
                    if (broken.next()) {
                        throw new SQLException("a row of " + broken.getString(1) + " refers to a missing row of "
                                + broken.getString(3) + " after the migration");
                    }
                }
            }
            try (PreparedStatement record = connection.prepareStatement(
                    "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)")) {
                record.setInt(1, migration.version());
                record.setString(2, migration.description());
                record.setLong(3, System.currentTimeMillis());
                record.executeUpdate();
            }
            try (Statement statement = connection.createStatement()) {
                statement.execute("COMMIT");
            }
            committed = true;
            log.info("Migrated {} to schema version {} ({})", file, migration.version(), migration.description());
        } catch (SQLException e) {
            throw new StorageException("Migration " + migration.resource() + " of the database " + file
                    + " failed and was rolled back: " + e.getMessage(), e);
        } finally {
            if (!committed) {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("ROLLBACK");
                } catch (SQLException ignored) {
                    // already rolled back by SQLite
                }
            }
        }
    }

    private static String load(String resource) {
        try (InputStream in = MigrationRunner.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new StorageException("Migration " + resource + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StorageException("Cannot read migration " + resource + ": " + e, e);
        }
    }

    /** Splits a script on ';' outside string literals, quoted identifiers and comments; drops empty statements. */
    static List<String> splitStatements(String script) {
        List<String> result = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int i = 0;
        int n = script.length();
        while (i < n) {
            char c = script.charAt(i);
            if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int end = script.indexOf('\n', i);
                i = end < 0 ? n : end + 1;
                current.append('\n');
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int end = script.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                current.append(' ');
            } else if (c == '\'' || c == '"' || c == '`') {
                int end = i + 1;
                while (end < n) {
                    if (script.charAt(end) == c) {
                        if (end + 1 < n && script.charAt(end + 1) == c) {
                            end += 2; // doubled quote is an escaped quote
                            continue;
                        }
                        break;
                    }
                    end++;
                }
                int stop = Math.min(end + 1, n);
                current.append(script, i, stop);
                i = stop;
            } else if (c == ';') {
                addIfNotBlank(result, current);
                current.setLength(0);
                i++;
            } else {
                current.append(c);
                i++;
            }
        }
        addIfNotBlank(result, current);
        return result;
    }

    private static void addIfNotBlank(List<String> result, StringBuilder statement) {
        String sql = statement.toString().strip();
        if (!sql.isEmpty()) {
            result.add(sql);
        }
    }
}
