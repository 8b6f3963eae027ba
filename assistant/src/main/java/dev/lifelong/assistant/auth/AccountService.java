package dev.lifelong.assistant.auth;

import dev.lifelong.memory.Accounts;
import dev.lifelong.memory.Accounts.Account;
import dev.lifelong.memory.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongConsumer;

/**
 * The account rules: who may sign in, who a request comes from, and what the owner may do to other users. Handlers
 * call one method each; every refusal is an {@link AuthException} or an {@link IllegalArgumentException} with the
 * reason.
 */
public final class AccountService {
    private static final Logger log = LoggerFactory.getLogger(AccountService.class);
    public static final String OWNER_KEY_FILE = "owner.key";
    public static final Duration SESSION_LIFETIME = Duration.ofDays(30);

    private final Database db;
    private final Accounts accounts;
    private final Path dataDir;
    private final PasswordHasher hasher = new PasswordHasher();
    private final LoginRateLimiter limiter;
    private final List<LongConsumer> removalListeners = new ArrayList<>();
    // a hash to verify against when the name is unknown, so that "no such user" takes as long as "wrong password"
    private volatile String decoyHash;

    public AccountService(Database db, Path dataDir, Clock clock) {
        this.db = db;
        this.accounts = db.accounts();
        this.dataDir = dataDir;
        this.limiter = new LoginRateLimiter(clock);
    }

    /** Called with the user id after a user was removed (e.g. to drop their loaded adapter). */
    public void onUserRemoved(LongConsumer listener) { removalListeners.add(listener); }

    public Account owner() {
        return accounts.list().stream().filter(Account::isOwner).findFirst()
                .orElseThrow(() -> new IllegalStateException("the database has no owner account"));
    }

    /**
     * Makes sure {@code DIR/owner.key} holds a working API key of the owner (mode 600), writing a new one when the file
     * is missing or its key is not valid for this database (revoked, or the database was replaced). Returns its path.
     */
    public Path ensureOwnerKey() {
        Path file = dataDir.resolve(OWNER_KEY_FILE);
        Account owner = owner();
        if (Files.isRegularFile(file)) {
            try {
                String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
                var grant = accounts.authenticateKey(secret);
                if (grant.isPresent() && grant.get().userId() == owner.id()) return file;
                log.warn("{} does not hold a valid key of this installation's owner; writing a new one", file);
            } catch (IOException e) {
                log.warn("Cannot read {} ({}); writing a new one", file, e.getMessage());
            }
        }
        String secret = accounts.createApiKey(owner.id(), OWNER_KEY_FILE, true).secret();
        writePrivately(file, secret + "\n");
        return file;
    }

    /** Whether the owner still has to choose a password (first start). */
    public boolean setupNeeded() { return !owner().hasPassword(); }

    // ------------------------------------------------------------------ signing in

    /** Checks a name and password; returns a session token. Throttled per name and per address. */
    public String login(String name, String password, String address) {
        limiter.retryAfter(name, address).ifPresent(wait -> {
            throw new AuthException(AuthException.Kind.RATE_LIMITED, "too_many_attempts",
                    "too many failed sign-ins; try again in " + Math.max(1, wait.toSeconds()) + " s", wait);
        });
        Optional<Account> account = accounts.findByName(name);
        Optional<String> hash = account.flatMap(a -> accounts.passwordHash(a.id()));
        boolean ok = hasher.verify(password, hash.orElseGet(this::decoyHash)) && hash.isPresent();
        if (!ok) {
            limiter.failed(name, address);
            throw AuthException.unauthorized("invalid_credentials", "wrong user name or password");
        }
        limiter.succeeded(name);
        return accounts.createSession(account.get().id(), SESSION_LIFETIME);
    }

    /** Exchanges an API key for a browser session (the owner's first visit uses the key in owner.key). */
    public String loginWithKey(String secret, String address) {
        limiter.retryAfter(null, address).ifPresent(wait -> {
            throw new AuthException(AuthException.Kind.RATE_LIMITED, "too_many_attempts",
                    "too many failed sign-ins; try again in " + Math.max(1, wait.toSeconds()) + " s", wait);
        });
        var grant = accounts.authenticateKey(secret);
        if (grant.isEmpty()) {
            limiter.failed(null, address);
            throw AuthException.unauthorized("invalid_credentials", "this key is not valid (revoked, or from another installation)");
        }
        return accounts.createSession(grant.get().userId(), SESSION_LIFETIME);
    }

    private String decoyHash() {
        if (decoyHash == null) decoyHash = hasher.hash(UUID.randomUUID().toString());
        return decoyHash;
    }

    public void logout(String sessionToken) { accounts.endSession(sessionToken); }

    /** The caller for a session cookie or an API key; empty when neither is valid. */
    public Optional<Caller> authenticate(String sessionToken, String apiKey) {
        if (apiKey != null) {
            var grant = accounts.authenticateKey(apiKey);
            if (grant.isEmpty()) return Optional.empty();
            return accounts.find(grant.get().userId()).map(a -> new Caller(a.id(), a.name(), a.role(), Caller.Via.API_KEY,
                    grant.get().keyId(), grant.get().memory(), null));
        }
        if (sessionToken != null) {
            var session = accounts.session(sessionToken);
            if (session.isEmpty()) return Optional.empty();
            return accounts.find(session.get().userId()).map(a -> new Caller(a.id(), a.name(), a.role(), Caller.Via.SESSION,
                    null, true, session.get().csrfToken()));
        }
        return Optional.empty();
    }

    public Account account(long userId) {
        return accounts.find(userId).orElseThrow(() -> AuthException.unauthorized("unknown_user", "the user no longer exists"));
    }

    /**
     * Changes the caller's password. The current one is required when there is one (the owner's first password is
     * set with the key from owner.key, which already proved access). Other sessions of the user end.
     */
    public void changePassword(long userId, String current, String next) {
        PasswordHasher.requireAcceptable(next);
        Optional<String> stored = accounts.passwordHash(userId);
        if (stored.isPresent() && !hasher.verify(current == null ? "" : current, stored.get())) {
            throw AuthException.forbidden("invalid_credentials", "the current password is wrong");
        }
        accounts.setPasswordHash(userId, hasher.hash(next));
    }

    // ------------------------------------------------------------------ users (owner only)

    /** A new user and their first API key. */
    public record NewUser(Account account, String apiKey) {}

    public List<Account> users(Caller caller) {
        requireOwner(caller);
        return accounts.list();
    }

    /** Adds a member (password optional: a user may only use API keys) and returns their first API key. */
    public NewUser addUser(Caller caller, String name, String password) {
        requireOwner(caller);
        return addUser(name, password);
    }

    /** The CLI's door: the person at the machine with the data folder is the owner. */
    public NewUser addUser(String name, String password) {
        Accounts.requireValidName(name);
        String hash = null;
        if (password != null) hash = hasher.hash(password);
        Account account = accounts.create(name, Accounts.Role.MEMBER, hash);
        String key = accounts.createApiKey(account.id(), "first key", true).secret();
        return new NewUser(account, key);
    }

    public void removeUser(Caller caller, long userId) {
        requireOwner(caller);
        removeUser(userId);
    }

    /** Removes a member with all their data: database rows (one transaction) and then their adapter files. */
    public void removeUser(long userId) {
        if (!accounts.remove(userId)) throw new java.util.NoSuchElementException("no user " + userId);
        removalListeners.forEach(l -> l.accept(userId));
        Path folder = dataDir.resolve("adapters").resolve("user-" + userId);
        try {
            dev.lifelong.io.DurableFiles.deleteTree(folder);
        } catch (IOException e) {
            log.warn("Could not delete {} completely: {}", folder, e.getMessage());
        }
    }

    public void setPassword(long userId, String password) {
        accounts.setPasswordHash(userId, hasher.hash(password));
    }

    // ------------------------------------------------------------------ API keys

    public List<Accounts.ApiKey> keys(Caller caller) { return accounts.keys(caller.userId()); }

    public Accounts.NewKey createKey(Caller caller, String name, boolean memory) {
        return accounts.createApiKey(caller.userId(), name, memory);
    }

    public boolean revokeKey(Caller caller, long keyId) { return accounts.revokeKey(caller.userId(), keyId); }

    public boolean setKeyMemory(Caller caller, long keyId, boolean memory) { return accounts.setKeyMemory(caller.userId(), keyId, memory); }

    public Accounts accounts() { return accounts; }

    public Database database() { return db; }

    // ------------------------------------------------------------------ helpers

    private static void requireOwner(Caller caller) {
        if (!caller.isOwner()) throw AuthException.forbidden("owner_only", "only the owner manages users");
    }

    /** Mode 600 from the first byte; a crash leaves the old file or the new one. */
    static void writePrivately(Path file, String content) {
        try {
            dev.lifelong.io.DurableFiles.write(file, content.getBytes(StandardCharsets.UTF_8), true, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
