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
            assertThat(l.retryAfter("Ada", "10.0.0." + i, null)).isEmpty();
            l.failed("Ada", "10.0.0." + i, null);
            now.addAndGet(1000);
        }
        assertThat(l.retryAfter("ada", "10.0.0.99", null)).as("per name, any address, any case").isPresent();
        assertThat(l.retryAfter("bob", "10.0.0.99", null)).as("other names are not affected").isEmpty();
        now.addAndGet(LoginRateLimiter.WINDOW.toMillis() - 5000 + 1);
        assertThat(l.retryAfter("ada", "10.0.0.99", null)).as("the oldest failure left the window").isEmpty();
    }

    @Test
    void aBrowserThatSignedInBeforeIsNotLockedOutByOthersFailures() {
        LoginRateLimiter l = new LoginRateLimiter(clock);
        String mine = l.deviceToken("ada");
        for (int i = 0; i < 50; i++) l.failed("ada", "127.0.0.1", null);
        assertThat(l.retryAfter("ada", "127.0.0.1", null)).as("an unknown client waits").isPresent();
        assertThat(l.retryAfter("ada", "127.0.0.1", mine)).as("ada's own browser does not").isEmpty();
        assertThat(l.retryAfter("bob", "127.0.0.1", mine)).as("the token is for ada only, but bob has no failures").isEmpty();
        assertThat(l.retryAfter("ada", "127.0.0.1", mine.substring(0, mine.length() - 2) + "xx")).as("a forged token counts for nothing")
                .isPresent();
        // the token itself gets a handful of tries, then it is worth nothing
        for (int i = 0; i < LoginRateLimiter.PER_DEVICE; i++) l.failed("ada", "127.0.0.1", mine);
        assertThat(l.retryAfter("ada", "127.0.0.1", mine)).isPresent();
    }

    @Test
    void addressesOnThisMachineAreNotCountedSoNobodyLocksOutEveryone() {
        LoginRateLimiter l = new LoginRateLimiter(clock);
        for (int i = 0; i < 3 * LoginRateLimiter.PER_ADDRESS; i++) l.failed("name" + i, "127.0.0.1", null);
        assertThat(l.retryAfter("someone-else", "127.0.0.1", null)).isEmpty();
        for (int i = 0; i < LoginRateLimiter.PER_ADDRESS; i++) l.failed("name" + i, "10.0.0.1", null);
        assertThat(l.retryAfter("someone-else", "10.0.0.1", null)).as("one remote client trying many names").isPresent();
        assertThat(l.retryAfter("someone-else", "10.0.0.2", null)).isEmpty();
    }
}
