package dev.lifelong.assistant.auth;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LoginRateLimiterTest {
    final AtomicLong now = new AtomicLong(1_000_000);
    final Clock clock = new Clock() {
        public ZoneOffset getZone() { return ZoneOffset.UTC; }
        public Clock withZone(java.time.ZoneId z) { return this; }
        public Instant instant() { return Instant.ofEpochMilli(now.get()); }
    };

    @Test
    void fiveFailuresPerNameThenWaitUntilTheOldestLeavesTheWindow() {
        LoginRateLimiter l = new LoginRateLimiter(clock);
        for (int i = 0; i < 5; i++) {
            assertThat(l.retryAfter("Ada", "10.0.0." + i)).isEmpty();
            l.failed("Ada", "10.0.0." + i);
            now.addAndGet(1000);
        }
        assertThat(l.retryAfter("ada", "10.0.0.99")).as("per name, any address, any case").isPresent();
        assertThat(l.retryAfter("bob", "10.0.0.99")).as("other names are not affected").isEmpty();
        now.addAndGet(LoginRateLimiter.WINDOW.toMillis() - 5000 + 1);
        assertThat(l.retryAfter("ada", "10.0.0.99")).as("the oldest failure left the window").isEmpty();
    }

    @Test
    void keySignInsCountPerAddressOnlySoOneClientCannotLockOutEveryone() {
        LoginRateLimiter l = new LoginRateLimiter(clock);
        for (int i = 0; i < LoginRateLimiter.PER_ADDRESS; i++) l.failed(null, "10.0.0.1");
        assertThat(l.retryAfter(null, "10.0.0.1")).get().satisfies(d -> assertThat(d).isLessThanOrEqualTo(LoginRateLimiter.WINDOW));
        assertThat(l.retryAfter(null, "127.0.0.1")).as("another address still signs in").isEmpty();
        l.succeeded("ada");
        assertThat(l.retryAfter(null, "10.0.0.1")).isPresent();
    }
}
