package dev.lifelong.memory;

import java.time.Instant;

/**
 * A nightly or manual update of one user's adapter.
 *
 * @param attempts how many times it started running (a crash or a failure with retry left makes it run again)
 * @param notBefore when a queued job may start (retries back off)
 * @param error    why the last attempt failed; kept when a retry later succeeds
 */
public record UpdateJob(long id, long userId, Origin origin, State state, int attempts, Instant notBefore, String phase,
        String error, Long adapterVersionId, Instant createdAt, Instant startedAt, Instant finishedAt) {

    public enum Origin { NIGHTLY, MANUAL }

    public enum State { QUEUED, RUNNING, SUCCEEDED, FAILED }

    public boolean active() {
        return state == State.QUEUED || state == State.RUNNING;
    }
}
