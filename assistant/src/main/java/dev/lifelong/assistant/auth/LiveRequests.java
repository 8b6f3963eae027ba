package dev.lifelong.assistant.auth;

import dev.lifelong.assistant.runtime.Cancellation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The requests that go on after their credentials were checked (answer streams, OpenAI completions, progress streams),
 * by the user and the credential that started them. Removing the user, revoking the key (or the key a session was
 * signed in with) or changing the password ends them at once: their {@link Cancellation} is set and their end actions
 * run. A request checked just before such a change and registered just after is refused, because the ended
 * credentials are remembered (in memory; a restart ends every request anyway).
 */
public final class LiveRequests {
    public enum Kind { ANSWER, PROGRESS }

    /** Progress streams one user may hold open (a page opens one; a few tabs are fine). */
    public static final int PROGRESS_PER_USER = 4;
    /** Progress streams of all users together. */
    public static final int PROGRESS_TOTAL = 64;
    static final Duration STREAM_RETRY_AFTER = Duration.ofSeconds(30);

    /** One running request. Close it when the request ends. */
    public final class Live implements AutoCloseable {
        private final Caller caller;
        private final Kind kind;
        private final Cancellation cancellation = new Cancellation();
        private final List<Runnable> onEnd = new ArrayList<>();
        private volatile String endedBecause;

        private Live(Caller caller, Kind kind) {
            this.caller = caller;
            this.kind = kind;
        }

        /** Set when the request's credentials end; pass it to the generation. */
        public Cancellation cancellation() { return cancellation; }

        /** Why the credentials ended ("the API key was revoked", …), or null while they are valid. */
        public String endedBecause() { return endedBecause; }

        /** Runs {@code action} when the credentials end (at once if they already have). */
        public void onEnd(Runnable action) {
            boolean now;
            lock.lock();
            try {
                now = endedBecause != null;
                if (!now) onEnd.add(action);
            } finally {
                lock.unlock();
            }
            if (now) action.run();
        }

        @Override
        public void close() {
            lock.lock();
            try {
                live.remove(this);
            } finally {
                lock.unlock();
            }
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Set<Live> live = new LinkedHashSet<>();
    private final Set<Long> revokedKeys = new HashSet<>();
    private final Set<Long> removedUsers = new HashSet<>();
    private final Map<Long, Long> sessionsEndedAt = new HashMap<>();

    /**
     * Registers a request of {@code caller}.
     *
     * @throws AuthException 401 when the caller's credentials ended since they were checked; 429 when the caller already
     *                       holds {@value #PROGRESS_PER_USER} progress streams, or the server {@value #PROGRESS_TOTAL}
     */
    public Live start(Caller caller, Kind kind) {
        lock.lock();
        try {
            String ended = endedReason(caller);
            if (ended != null) throw AuthException.unauthorized("credentials_ended", ended);
            if (kind == Kind.PROGRESS) {
                long mine = live.stream().filter(l -> l.kind == Kind.PROGRESS && l.caller.userId() == caller.userId()).count();
                long all = live.stream().filter(l -> l.kind == Kind.PROGRESS).count();
                if (mine >= PROGRESS_PER_USER || all >= PROGRESS_TOTAL) {
                    throw new AuthException(AuthException.Kind.RATE_LIMITED, "too_many_streams", mine >= PROGRESS_PER_USER
                            ? "you already have " + mine + " progress streams open (at most " + PROGRESS_PER_USER + "); close one"
                            : "the server has " + all + " progress streams open; try again shortly", STREAM_RETRY_AFTER);
                }
            }
            Live l = new Live(caller, kind);
            live.add(l);
            return l;
        } finally {
            lock.unlock();
        }
    }

    /** The user was removed: everything they started ends, and nothing more starts. */
    public void endUser(long userId) {
        end(l -> l.caller.userId() == userId, "the user was removed", () -> removedUsers.add(userId));
    }

    /** The key was revoked: what it started ends, and so does what sessions signed in with it started. */
    public void endKey(long keyId) {
        end(l -> l.caller.keyId() != null && l.caller.keyId() == keyId, "the API key was revoked", () -> revokedKeys.add(keyId));
    }

    /** The user's sessions ended (password change): what they started ends. */
    public void endSessions(long userId) {
        long now = Caller.nextSequence();
        end(l -> l.caller.userId() == userId && l.caller.via() == Caller.Via.SESSION, "the password was changed",
                () -> sessionsEndedAt.put(userId, now));
    }

    /** Requests running now (for tests and status). */
    public int count(Kind kind) {
        lock.lock();
        try {
            return (int) live.stream().filter(l -> l.kind == kind).count();
        } finally {
            lock.unlock();
        }
    }

    private String endedReason(Caller c) {
        if (removedUsers.contains(c.userId())) return "the user was removed";
        if (c.keyId() != null && revokedKeys.contains(c.keyId())) return "the API key was revoked";
        Long ended = sessionsEndedAt.get(c.userId());
        if (c.via() == Caller.Via.SESSION && ended != null && c.sequence() < ended) return "the password was changed";
        return null;
    }

    private void end(Predicate<Live> which, String reason, Runnable remember) {
        List<Live> ended = new ArrayList<>();
        List<Runnable> actions = new ArrayList<>();
        lock.lock();
        try {
            remember.run();
            for (Live l : live) {
                if (!which.test(l) || l.endedBecause != null) continue;
                l.endedBecause = reason;
                ended.add(l);
                actions.addAll(l.onEnd);
                l.onEnd.clear();
            }
        } finally {
            lock.unlock();
        }
        for (Live l : ended) l.cancellation.cancel();
        for (Runnable a : actions) {
            try {
                a.run();
            } catch (RuntimeException ignored) {
                // an end action of a request that is finishing anyway
            }
        }
    }
}
