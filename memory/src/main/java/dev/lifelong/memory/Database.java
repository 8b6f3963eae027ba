package dev.lifelong.memory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The SQLite database of one installation. One connection, guarded by a lock, serves every thread: SQLite writes one
 * transaction at a time anyway, and a single connection makes every committed write visible to the next read.
 * See docs/decisions/002-storage.md.
 */
public final class Database implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Database.class);

    private final Path file;
    private final Connection connection;
    private final Clock clock;
    private final ReentrantLock lock = new ReentrantLock();
    private final int schemaVersion;
    private final ConversationStore conversations;
    private final MessageStore messages;
    private final MemoryStore memories;
    private boolean closed;

    private Database(Path file, Connection connection, Clock clock, int schemaVersion) {
        this.file = file;
        this.connection = connection;
        this.clock = clock;
        this.schemaVersion = schemaVersion;
        this.conversations = new ConversationStore(this);
        this.messages = new MessageStore(this);
        this.memories = new MemoryStore(this);
    }

    /** Opens (creating if needed) the database file and brings its schema up to date. */
    public static Database open(Path file) {
        return open(file, Clock.systemUTC());
    }

    /** As {@link #open(Path)}, with the clock that stamps created/updated times. */
    public static Database open(Path file, Clock clock) {
        return open(file, clock, MigrationRunner.standard());
    }

    static Database open(Path file, Clock clock, MigrationRunner migrations) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(clock, "clock");
        Path absolute = file.toAbsolutePath();
        try {
            Path parent = absolute.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new StorageException("Cannot create the folder for the database " + absolute + ": " + e, e);
        }
        if (Files.isDirectory(absolute)) {
            throw new StorageException("Cannot open the database " + absolute + ": it is a directory");
        }
        Connection connection = null;
        try {
            connection = DriverManager.getConnection("jdbc:sqlite:" + absolute);
            try (Statement statement = connection.createStatement()) {
                // busy_timeout first: another process (a backup, the trainer) may hold the file for a moment.
                statement.execute("PRAGMA busy_timeout = 5000");
                try (var rs = statement.executeQuery("PRAGMA journal_mode = WAL")) {
                    String mode = rs.next() ? rs.getString(1) : null;
                    if (!"wal".equalsIgnoreCase(mode)) {
                        throw new StorageException(
                                "Cannot switch the database " + absolute + " to WAL mode (journal_mode is " + mode + ")");
                    }
                }
                statement.execute("PRAGMA synchronous = FULL");
                statement.execute("PRAGMA foreign_keys = ON");
            }
            int version = migrations.migrate(connection, absolute);
            {
                int indexed = MessageIndex.backfill(connection);
                if (indexed > 0) log.info("Indexed {} earlier messages for search", indexed);
            }
            log.info("Opened database {} at schema version {}", absolute, version);
            return new Database(absolute, connection, clock, version);
        } catch (SQLException e) {
            closeQuietly(connection, e);
            throw openFailure(absolute, e);
        } catch (RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        }
    }

    private static StorageException openFailure(Path file, SQLException e) {
        if (e instanceof SQLiteException sqlite) {
            SQLiteErrorCode code = sqlite.getResultCode();
            if (code == SQLiteErrorCode.SQLITE_NOTADB) {
                return new StorageException("The file " + file + " is not a SQLite database (or is encrypted or"
                        + " damaged beyond recognition); Lifelong left it untouched", e);
            }
            if (code == SQLiteErrorCode.SQLITE_CORRUPT) {
                return new StorageException("The database " + file + " is corrupt; Lifelong left it untouched", e);
            }
            if (code == SQLiteErrorCode.SQLITE_CANTOPEN || code == SQLiteErrorCode.SQLITE_READONLY
                    || code == SQLiteErrorCode.SQLITE_PERM) {
                return new StorageException("Cannot open the database " + file + " for writing: " + e.getMessage(), e);
            }
        }
        return new StorageException("Cannot open the database " + file + ": " + e.getMessage(), e);
    }

    private static void closeQuietly(Connection connection, Exception cause) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException suppressed) {
                cause.addSuppressed(suppressed);
            }
        }
    }

    /** The schema version after migrations ran. */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** The absolute path of the database file. */
    public Path file() {
        return file;
    }

    public ConversationStore conversations() {
        return conversations;
    }

    public MessageStore messages() {
        return messages;
    }

    private final Accounts accounts = new Accounts(this);

    public MemoryStore memories() {
        return memories;
    }

    /** Users, API keys and sessions. */
    public Accounts accounts() {
        return accounts;
    }

    Clock clock() {
        return clock;
    }

    /** Closes the connection; SQLite checkpoints the WAL into the main file. Calling it twice is harmless. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            connection.close();
        } catch (SQLException e) {
            throw new StorageException("Cannot close the database " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    @FunctionalInterface
    interface SqlWork<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Runs one read (a single statement is its own consistent snapshot) under the lock. */
    <T> T read(SqlWork<T> work) {
        lock.lock();
        try {
            ensureOpen();
            return work.run(connection);
        } catch (SQLException e) {
            throw failure(e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs work in one write transaction, committed (and, with synchronous=FULL, on disk) when this returns. BEGIN
     * IMMEDIATE takes the write lock up front, so another process's writer makes us wait (busy_timeout) instead of
     * failing halfway.
     */
    <T> T inTransaction(SqlWork<T> work) {
        lock.lock();
        try {
            ensureOpen();
            try (Statement statement = connection.createStatement()) {
                statement.execute("BEGIN IMMEDIATE");
            } catch (SQLException e) {
                throw failure(e);
            }
            boolean committed = false;
            try {
                T result = work.run(connection);
                try (Statement statement = connection.createStatement()) {
                    statement.execute("COMMIT");
                }
                committed = true;
                return result;
            } catch (SQLException e) {
                throw failure(e);
            } finally {
                if (!committed) {
                    rollbackQuietly();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void rollbackQuietly() {
        try (Statement statement = connection.createStatement()) {
            statement.execute("ROLLBACK");
        } catch (SQLException e) {
            // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL); nothing left to undo.
            log.debug("Rollback of {} failed: {}", file, e.getMessage());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StorageException("The database " + file + " is closed");
        }
    }

    StorageException failure(SQLException e) {
        return new StorageException("Database " + file + ": " + e.getMessage(), e);
    }

    static String requireText(String value, String what) {
        if (value == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        return value;
    }
}
