package dev.lifelong.memory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Accounts: users with their role and password hash, their API keys and their browser sessions. Secrets (API keys,
 * session tokens) are 256 random bits handed out once; only their SHA-256 is stored, so a copy of the database does not
 * let anyone in. Password hashing (Argon2id) happens in the caller; this class stores the PHC string as given.
 */
public final class Accounts {
    /** The owner set up the installation and manages users; members use it. */
    public enum Role { OWNER, MEMBER }

    /** A user as the account pages show it. */
    public record Account(long id, String name, Role role, boolean hasPassword, long createdAt) {
        public boolean isOwner() { return role == Role.OWNER; }
    }

    /** An API key's public part; the secret itself is only returned by {@link #createApiKey}. */
    public record ApiKey(long id, long userId, String name, String prefix, boolean memory, long createdAt,
            Long lastUsedAt, Long revokedAt) {
        public boolean active() { return revokedAt == null; }
    }

    /** Who a valid API key belongs to and whether it uses the memory. */
    public record KeyGrant(long userId, long keyId, boolean memory) {}

    /**
     * A live browser session. {@code keyId}: the API key it was signed in with (null: a password); {@code createdAt}:
     * when that sign-in happened.
     */
    public record Session(long userId, String csrfToken, long createdAt, long expiresAt, Long keyId) {}

    /** The secret of a newly created key, shown once. */
    public record NewKey(ApiKey key, String secret) {}

    public static final String KEY_PREFIX = "ll_";
    private static final int SHOWN_PREFIX = 10;
    private static final long LAST_USED_RESOLUTION_MS = 60_000;

    private final Database database;
    private final SecureRandom random = new SecureRandom();

    Accounts(Database database) {
        this.database = database;
    }

    /**
     * Throws unless {@code name} is 1–40 letters, digits, '.', '_' or '-', starting with a letter or digit, and cannot
     * pass for another name by its look (see {@link UserNames}).
     */
    public static String requireValidName(String name) {
        return UserNames.requireValid(name);
    }

    /** Throws when another user's name looks like {@code name} (the same {@link UserNames#skeleton}). */
    static void refuseLookAlike(Connection c, String name, long exceptId) throws SQLException {
        String skeleton = UserNames.skeleton(name);
        try (var q = c.prepareStatement("SELECT name FROM users WHERE id <> ?")) {
            q.setLong(1, exceptId);
            try (var rs = q.executeQuery()) {
                while (rs.next()) {
                    String other = rs.getString(1);
                    if (other.equalsIgnoreCase(name)) throw new IllegalArgumentException("a user called '" + name + "' already exists");
                    if (UserNames.skeleton(other).equals(skeleton)) {
                        throw new IllegalArgumentException("'" + name + "' looks like the existing user '" + other + "'; choose another name");
                    }
                }
            }
        }
    }

    public List<Account> list() {
        return database.read(c -> {
            try (var q = c.prepareStatement(SELECT_ACCOUNT + " ORDER BY id"); var rs = q.executeQuery()) {
                List<Account> out = new ArrayList<>();
                while (rs.next()) out.add(account(rs));
                return out;
            }
        });
    }

    public Optional<Account> find(long id) {
        return database.read(c -> {
            try (var q = c.prepareStatement(SELECT_ACCOUNT + " WHERE id = ?")) {
                q.setLong(1, id);
                try (var rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(account(rs)) : Optional.<Account>empty();
                }
            }
        });
    }

    /** The user called {@code name}, ignoring case. */
    public Optional<Account> findByName(String name) {
        if (name == null) return Optional.empty();
        return database.read(c -> {
            try (var q = c.prepareStatement(SELECT_ACCOUNT + " WHERE name = ? COLLATE NOCASE")) {
                q.setString(1, name);
                try (var rs = q.executeQuery()) {
                    return rs.next() ? Optional.of(account(rs)) : Optional.<Account>empty();
                }
            }
        });
    }

    /** Creates a member; throws {@link IllegalArgumentException} for a bad or taken name. */
    public Account create(String name, Role role, String passwordHash) {
        requireValidName(name);
        return database.inTransaction(c -> {
            try (var exists = c.prepareStatement("SELECT 1 FROM users WHERE name = ? COLLATE NOCASE")) {
                exists.setString(1, name);
                try (var rs = exists.executeQuery()) {
                    if (rs.next()) throw new IllegalArgumentException("a user called '" + name + "' already exists");
                }
            }
            refuseLookAlike(c, name, -1);
            long now = database.clock().millis();
            try (var insert = c.prepareStatement("INSERT INTO users (name, created_at, role, password_hash) VALUES (?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                insert.setString(1, name);
                insert.setLong(2, now);
                insert.setString(3, role.name().toLowerCase());
                insert.setString(4, passwordHash);
                insert.executeUpdate();
                try (var keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return new Account(keys.getLong(1), name, role, passwordHash != null, now);
                }
            }
        });
    }

    /** Renames a user; throws for a bad or taken name. */
    public void rename(long userId, String name) {
        requireValidName(name);
        database.inTransaction(c -> {
            try (var exists = c.prepareStatement("SELECT 1 FROM users WHERE name = ? COLLATE NOCASE AND id <> ?")) {
                exists.setString(1, name);
                exists.setLong(2, userId);
                try (var rs = exists.executeQuery()) {
                    if (rs.next()) throw new IllegalArgumentException("a user called '" + name + "' already exists");
                }
            }
            refuseLookAlike(c, name, userId);
            return update(c, "UPDATE users SET name = ? WHERE id = ?", name, userId);
        });
    }

    /**
     * Deletes a user and, through the foreign keys, everything of theirs in the database (conversations, messages,
     * memories, feedback, adapter versions, jobs, keys, sessions). The owner cannot be removed. Files on disk (adapters)
     * are the caller's to delete. Returns false when there is no such user.
     */
    public boolean remove(long userId) {
        return database.inTransaction(c -> {
            Optional<Account> account = Optional.empty();
            try (var q = c.prepareStatement(SELECT_ACCOUNT + " WHERE id = ?")) {
                q.setLong(1, userId);
                try (var rs = q.executeQuery()) {
                    if (rs.next()) account = Optional.of(account(rs));
                }
            }
            if (account.isEmpty()) return false;
            if (account.get().isOwner()) throw new IllegalArgumentException("the owner cannot be removed");
            return update(c, "DELETE FROM users WHERE id = ?", userId) == 1;
        });
    }

    public Optional<String> passwordHash(long userId) {
        return database.read(c -> {
            try (var q = c.prepareStatement("SELECT password_hash FROM users WHERE id = ?")) {
                q.setLong(1, userId);
                try (var rs = q.executeQuery()) {
                    return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    /** Sets the password hash and ends the user's sessions (a changed password signs out everywhere). */
    public void setPasswordHash(long userId, String hash) {
        database.inTransaction(c -> {
            if (update(c, "UPDATE users SET password_hash = ? WHERE id = ?", hash, userId) != 1) {
                throw new IllegalArgumentException("no user " + userId);
            }
            return update(c, "DELETE FROM sessions WHERE user_id = ?", userId);
        });
    }

    // ------------------------------------------------------------------ API keys

    /** Creates a key for the user; the returned secret is not stored and cannot be shown again. */
    public NewKey createApiKey(long userId, String name, boolean memory) {
        String label = name == null || name.isBlank() ? "key" : name.strip();
        if (label.length() > 80) throw new IllegalArgumentException("a key name is at most 80 characters");
        String secret = KEY_PREFIX + token();
        String prefix = secret.substring(0, SHOWN_PREFIX);
        return database.inTransaction(c -> {
            long now = database.clock().millis();
            try (var insert = c.prepareStatement("INSERT INTO api_keys (user_id, name, prefix, key_hash, memory, created_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, userId);
                insert.setString(2, label);
                insert.setString(3, prefix);
                insert.setString(4, sha256(secret));
                insert.setInt(5, memory ? 1 : 0);
                insert.setLong(6, now);
                insert.executeUpdate();
                try (var keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return new NewKey(new ApiKey(keys.getLong(1), userId, label, prefix, memory, now, null, null), secret);
                }
            }
        });
    }

    /** The user's keys, newest first, revoked ones included (they show as revoked). */
    public List<ApiKey> keys(long userId) {
        return database.read(c -> {
            try (var q = c.prepareStatement(SELECT_KEY + " WHERE user_id = ? ORDER BY id DESC")) {
                q.setLong(1, userId);
                try (var rs = q.executeQuery()) {
                    List<ApiKey> out = new ArrayList<>();
                    while (rs.next()) out.add(key(rs));
                    return out;
                }
            }
        });
    }

    /**
     * Revokes one of the user's keys and ends the browser sessions signed in with it; false when the user has no such
     * active key.
     */
    public boolean revokeKey(long userId, long keyId) {
        return database.inTransaction(c -> {
            boolean revoked = update(c, "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
                    database.clock().millis(), keyId, userId) == 1;
            if (revoked) update(c, "DELETE FROM sessions WHERE key_id = ?", keyId);
            return revoked;
        });
    }

    /** Revokes every active key of the user (and the sessions signed in with them); returns the ids revoked. */
    public List<Long> revokeAllKeys(long userId) {
        return database.inTransaction(c -> {
            List<Long> ids = new ArrayList<>();
            try (var q = c.prepareStatement("SELECT id FROM api_keys WHERE user_id = ? AND revoked_at IS NULL")) {
                q.setLong(1, userId);
                try (var rs = q.executeQuery()) {
                    while (rs.next()) ids.add(rs.getLong(1));
                }
            }
            long now = database.clock().millis();
            for (long id : ids) {
                update(c, "UPDATE api_keys SET revoked_at = ? WHERE id = ?", now, id);
                update(c, "DELETE FROM sessions WHERE key_id = ?", id);
            }
            return ids;
        });
    }

    /** Switches memory use for one of the user's keys; false when there is no such key. */
    public boolean setKeyMemory(long userId, long keyId, boolean memory) {
        return database.inTransaction(c -> update(c, "UPDATE api_keys SET memory = ? WHERE id = ? AND user_id = ?",
                memory ? 1 : 0, keyId, userId) == 1);
    }

    /** Who {@code secret} belongs to, if it is an active key. */
    public Optional<KeyGrant> authenticateKey(String secret) {
        if (secret == null || !secret.startsWith(KEY_PREFIX) || secret.length() > 200) return Optional.empty();
        String hash = sha256(secret);
        Optional<Object[]> row = database.read(c -> {
            try (var q = c.prepareStatement("SELECT id, user_id, memory, last_used_at FROM api_keys"
                    + " WHERE key_hash = ? AND revoked_at IS NULL")) {
                q.setString(1, hash);
                try (var rs = q.executeQuery()) {
                    if (!rs.next()) return Optional.<Object[]>empty();
                    long lastUsed = rs.getLong(4);
                    return Optional.of(new Object[] {rs.getLong(1), rs.getLong(2), rs.getInt(3) == 1, rs.wasNull() ? 0L : lastUsed});
                }
            }
        });
        if (row.isEmpty()) return Optional.empty();
        long keyId = (Long) row.get()[0];
        long now = database.clock().millis();
        // last use at minute resolution: a busy client should not turn every request into a write
        if (now - (Long) row.get()[3] >= LAST_USED_RESOLUTION_MS) {
            database.inTransaction(c -> update(c, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, keyId));
        }
        return Optional.of(new KeyGrant((Long) row.get()[1], keyId, (Boolean) row.get()[2]));
    }

    // ------------------------------------------------------------------ sessions

    /** Starts a session signed in with a password; returns the cookie token (not stored, only its hash). */
    public String createSession(long userId, Duration lifetime) {
        return createSession(userId, lifetime, null);
    }

    /** Starts a session; {@code keyId}: the API key it was signed in with, or null. Returns the cookie token. */
    public String createSession(long userId, Duration lifetime, Long keyId) {
        String token = token();
        String csrf = token();
        database.inTransaction(c -> {
            long now = database.clock().millis();
            update(c, "DELETE FROM sessions WHERE expires_at <= ?", now);
            try (var insert = c.prepareStatement(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, key_id) VALUES (?, ?, ?, ?, ?, ?)")) {
                insert.setString(1, sha256(token));
                insert.setLong(2, userId);
                insert.setString(3, csrf);
                insert.setLong(4, now);
                insert.setLong(5, now + lifetime.toMillis());
                if (keyId == null) insert.setNull(6, Types.INTEGER);
                else insert.setLong(6, keyId);
                return insert.executeUpdate();
            }
        });
        return token;
    }

    /** The live session for a cookie token, if any. */
    public Optional<Session> session(String token) {
        if (token == null || token.isEmpty() || token.length() > 200) return Optional.empty();
        String hash = sha256(token);
        long now = database.clock().millis();
        return database.read(c -> {
            try (var q = c.prepareStatement("SELECT user_id, csrf_token, created_at, expires_at, key_id FROM sessions"
                    + " WHERE token_hash = ? AND expires_at > ?")) {
                q.setString(1, hash);
                q.setLong(2, now);
                try (var rs = q.executeQuery()) {
                    if (!rs.next()) return Optional.<Session>empty();
                    long keyId = rs.getLong(5);
                    Long key = rs.wasNull() ? null : keyId;
                    return Optional.of(new Session(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getLong(4), key));
                }
            }
        });
    }

    /** Ends one session (sign out). */
    public void endSession(String token) {
        if (token == null || token.isEmpty()) return;
        String hash = sha256(token);
        database.inTransaction(c -> update(c, "DELETE FROM sessions WHERE token_hash = ?", hash));
    }

    // ------------------------------------------------------------------ helpers

    private String token() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String sha256(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final String SELECT_ACCOUNT = "SELECT id, name, role, password_hash IS NOT NULL, created_at FROM users";
    private static final String SELECT_KEY = "SELECT id, user_id, name, prefix, memory, created_at, last_used_at, revoked_at FROM api_keys";

    private static Account account(ResultSet rs) throws SQLException {
        return new Account(rs.getLong(1), rs.getString(2), Role.valueOf(rs.getString(3).toUpperCase()), rs.getBoolean(4), rs.getLong(5));
    }

    private static ApiKey key(ResultSet rs) throws SQLException {
        long lastUsed = rs.getLong(7);
        Long last = rs.wasNull() ? null : lastUsed;
        long revokedAt = rs.getLong(8);
        Long revoked = rs.wasNull() ? null : revokedAt;
        return new ApiKey(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getInt(5) == 1, rs.getLong(6), last, revoked);
    }

    private static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                if (args[i] == null) s.setNull(i + 1, Types.NULL);
                else s.setObject(i + 1, args[i]);
            }
            return s.executeUpdate();
        }
    }
}
