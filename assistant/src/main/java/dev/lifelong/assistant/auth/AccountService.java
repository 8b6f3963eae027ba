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
    /** A first password may be set only this soon after signing in (a stolen old session must not set one). */
    public static final Duration FRESH_SIGN_IN = Duration.ofMinutes(10);

    private final Database db;
    private final Accounts accounts;
    private final Path dataDir;
    private final PasswordHasher hasher = new PasswordHasher();
    private final LoginRateLimiter limiter;
    private final Clock clock;
    private final LiveRequests live = new LiveRequests();
    private final List<LongConsumer> removalListeners = new ArrayList<>();
    // a hash to verify against when the name is unknown, so that "no such user" takes as long as "wrong password"
    private volatile String decoyHash;

    public AccountService(Database db, Path dataDir, Clock clock) {
        this.db = db;
        this.accounts = db.accounts();
        this.dataDir = dataDir;
        this.limiter = new LoginRateLimiter(clock);
        this.clock = clock;
    }

    /** The requests running now by who started them; credentials that end here end theirs. */
    public LiveRequests live() { return live; }

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

    /** A password sign-in: the session's cookie token and the device token for the browser (see LoginRateLimiter). */
    public record PasswordSignIn(String sessionToken, String deviceToken) {}

    /**
     * Checks a name and password; returns the new session. Throttled per device token, else per name (and per address
     * for other machines), so that failures on purpose do not lock the user's own browser out.
     */
    public PasswordSignIn login(String name, String password, String address, String deviceToken) {
        limiter.retryAfter(name, address, deviceToken).ifPresent(wait -> {
            throw new AuthException(AuthException.Kind.RATE_LIMITED, "too_many_attempts",
                    "too many failed sign-ins; try again in " + Math.max(1, wait.toSeconds()) + " s", wait);
        });
        Optional<Account> account = accounts.findByName(name);
        Optional<String> hash = account.flatMap(a -> accounts.passwordHash(a.id()));
        boolean ok = hasher.verify(password, hash.orElseGet(this::decoyHash)) && hash.isPresent();
        if (!ok) {
            limiter.failed(name, address, deviceToken);
            throw AuthException.unauthorized("invalid_credentials", "wrong user name or password");
        }
        limiter.succeeded(name, deviceToken);
        return new PasswordSignIn(accounts.createSession(account.get().id(), SESSION_LIFETIME), limiter.deviceToken(name));
    }

    /**
     * Exchanges an API key for a browser session (the owner's first visit uses the key in owner.key). The session ends
     * when the key is revoked. Not throttled: a 256-bit key cannot be guessed. A key limited to chat cannot sign in.
     */
    public String loginWithKey(String secret) {
        var grant = accounts.authenticateKey(secret);
        if (grant.isEmpty()) {
            throw AuthException.unauthorized("invalid_credentials", "this key is not valid (revoked, or from another installation)");
        }
        if (!grant.get().memory()) {
            throw AuthException.forbidden("key_limited_to_chat", "this key has memory off: it can only chat through /v1, not sign in");
        }
        return accounts.createSession(grant.get().userId(), SESSION_LIFETIME, grant.get().keyId());
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
            long sequence = Caller.nextSequence();
            return accounts.find(grant.get().userId()).map(a -> new Caller(a.id(), a.name(), a.role(), Caller.Via.API_KEY,
                    grant.get().keyId(), grant.get().memory(), null, 0, sequence));
        }
        if (sessionToken != null) {
            long sequence = Caller.nextSequence();
            var session = accounts.session(sessionToken);
            if (session.isEmpty()) return Optional.empty();
            return accounts.find(session.get().userId()).map(a -> new Caller(a.id(), a.name(), a.role(), Caller.Via.SESSION,
                    session.get().keyId(), true, session.get().csrfToken(), session.get().createdAt(), sequence));
        }
        return Optional.empty();
    }

    public Account account(long userId) {
        return accounts.find(userId).orElseThrow(() -> AuthException.unauthorized("unknown_user", "the user no longer exists"));
    }

    /**
     * Changes the caller's password. The current one is required when there is one; a first password needs a sign-in
     * in the last {@link #FRESH_SIGN_IN} (the owner's first visit with the key from owner.key is one), so that neither a
     * leaked API key nor an old session can take the account over for good. A change ends every session of the user,
     * revokes their API keys (a new owner.key is written for the owner) and ends whatever those had running.
     */
    public void changePassword(Caller caller, String current, String next) {
        PasswordHasher.requireAcceptable(next);
        long userId = caller.userId();
        Optional<String> stored = accounts.passwordHash(userId);
        if (stored.isPresent() && !hasher.verify(current == null ? "" : current, stored.get())) {
            throw AuthException.forbidden("invalid_credentials", "the current password is wrong");
        }
        if (stored.isEmpty() && (caller.via() != Caller.Via.SESSION
                || clock.millis() - caller.signedInAt() > FRESH_SIGN_IN.toMillis())) {
            throw AuthException.forbidden("fresh_sign_in_required", "to set a first password, sign in in the browser"
                    + " (with your key) and set it within " + FRESH_SIGN_IN.toMinutes() + " minutes");
        }
        accounts.setPasswordHash(userId, hasher.hash(next));
        List<Long> revoked = accounts.revokeAllKeys(userId);
        live.endSessions(userId);
        revoked.forEach(live::endKey);
        if (caller.isOwner()) ensureOwnerKey();
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
        live.endUser(userId);
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

    /** Revokes one of the caller's keys: sessions signed in with it and everything they or it started end now. */
    public boolean revokeKey(Caller caller, long keyId) {
        if (!accounts.revokeKey(caller.userId(), keyId)) return false;
        live.endKey(keyId);
        return true;
    }

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
