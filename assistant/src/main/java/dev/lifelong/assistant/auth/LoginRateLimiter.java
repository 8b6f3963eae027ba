package dev.lifelong.assistant.auth;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Slows password guessing: after {@value #PER_NAME} failed logins for one user name, or {@value #PER_ADDRESS} from one
 * address, within {@link #WINDOW}, further attempts are refused until the oldest failure leaves the window. Counting
 * per name stops a slow guesser spread over many addresses; per address stops one client trying many names. A
 * success clears the name's failures. In memory: a restart forgives, which a local assistant can afford.
 */
public final class LoginRateLimiter {
    static final int PER_NAME = 5;
    static final int PER_ADDRESS = 20;
    static final Duration WINDOW = Duration.ofMinutes(15);
    private static final int MAX_TRACKED = 10_000;

    private final Clock clock;
    private final Map<String, Deque<Long>> failures = new HashMap<>();

    public LoginRateLimiter(Clock clock) { this.clock = clock; }

    /**
     * How long the caller must wait before trying again, if at all. {@code name} null: a sign-in with a key, counted per
     * address only (a shared per-name bucket would let anyone lock everyone out of key sign-in).
     */
    public synchronized Optional<Duration> retryAfter(String name, String address) {
        long now = clock.millis();
        Optional<Duration> byName = name == null ? Optional.empty() : wait(nameKey(name), PER_NAME, now);
        Optional<Duration> byAddress = wait(addressKey(address), PER_ADDRESS, now);
        if (byName.isEmpty()) return byAddress;
        if (byAddress.isEmpty()) return byName;
        return Optional.of(byName.get().compareTo(byAddress.get()) > 0 ? byName.get() : byAddress.get());
    }

    public synchronized void failed(String name, String address) {
        if (failures.size() > MAX_TRACKED) prune(clock.millis());
        long now = clock.millis();
        if (name != null) failures.computeIfAbsent(nameKey(name), k -> new ArrayDeque<>()).addLast(now);
        failures.computeIfAbsent(addressKey(address), k -> new ArrayDeque<>()).addLast(now);
    }

    public synchronized void succeeded(String name) {
        failures.remove(nameKey(name));
    }

    private Optional<Duration> wait(String key, int limit, long now) {
        Deque<Long> times = failures.get(key);
        if (times == null) return Optional.empty();
        while (!times.isEmpty() && times.peekFirst() <= now - WINDOW.toMillis()) times.pollFirst();
        if (times.size() < limit) return Optional.empty();
        long oldest = times.peekFirst();
        return Optional.of(Duration.ofMillis(Math.max(1000, oldest + WINDOW.toMillis() - now)));
    }

    private void prune(long now) {
        failures.values().forEach(d -> { while (!d.isEmpty() && d.peekFirst() <= now - WINDOW.toMillis()) d.pollFirst(); });
        failures.values().removeIf(Deque::isEmpty);
    }

    private static String nameKey(String name) { return "n:" + (name == null ? "" : name.toLowerCase(Locale.ROOT)); }

    private static String addressKey(String address) { return "a:" + (address == null ? "" : address); }
}
