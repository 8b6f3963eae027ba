package dev.lifelong.assistant.auth;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Slows password guessing without letting anyone lock the real user out (OWASP's "device cookie" scheme). A browser
 * that once signed in as a name gets a device token for that name; with it, its attempts for that name count only
 * against the token ({@value #PER_DEVICE} failures within {@link #WINDOW}, after which the token is worth nothing).
 * Every other attempt counts against the name ({@value #PER_NAME} failures) and, for a client on another machine,
 * against its address ({@value #PER_ADDRESS}); past either it is refused until the oldest failure leaves the window.
 * So a guesser — or a web page, or another member, failing on purpose — locks out only clients the user never signed
 * in from, and the user's own browser gets in with the right password. Addresses on this machine are not counted:
 * every local client shares 127.0.0.1, so that count would lock everyone out at once. Sign-in with an API key is not
 * throttled at all: a 256-bit key cannot be guessed, and throttling it would only be a way to lock people out. In
 * memory: a restart forgives (and makes earlier device tokens worthless, which only means counting per name again).
 */
public final class LoginRateLimiter {
    static final int PER_NAME = 5;
    static final int PER_ADDRESS = 20;
    static final int PER_DEVICE = 5;
    static final Duration WINDOW = Duration.ofMinutes(15);
    private static final int MAX_TRACKED = 10_000;

    private final Clock clock;
    private final Map<String, Deque<Long>> failures = new HashMap<>();
    private final byte[] deviceSecret = new byte[32];
    private final SecureRandom random = new SecureRandom();

    public LoginRateLimiter(Clock clock) {
        this.clock = clock;
        random.nextBytes(deviceSecret);
    }

    /** A token for the browser that just signed in as {@code name}: random part, then its MAC over the name. */
    public String deviceToken(String name) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
        return id + "." + mac(nameKey(name) + "|" + id);
    }

    /** How long the caller must wait before trying again, if at all. */
    public synchronized Optional<Duration> retryAfter(String name, String address, String deviceToken) {
        long now = clock.millis();
        String device = device(name, deviceToken);
        if (device != null) {
            Optional<Duration> byDevice = wait(device, PER_DEVICE, now);
            if (byDevice.isEmpty()) return Optional.empty();
            // a token that failed too often is worth nothing: count per name and address as for any client
        }
        Optional<Duration> byName = wait(nameKey(name), PER_NAME, now);
        Optional<Duration> byAddress = isLocal(address) ? Optional.empty() : wait(addressKey(address), PER_ADDRESS, now);
        if (byName.isEmpty()) return byAddress;
        if (byAddress.isEmpty()) return byName;
        return Optional.of(byName.get().compareTo(byAddress.get()) > 0 ? byName.get() : byAddress.get());
    }

    public synchronized void failed(String name, String address, String deviceToken) {
        long now = clock.millis();
        if (failures.size() > MAX_TRACKED) prune(now);
        String device = device(name, deviceToken);
        if (device != null && wait(device, PER_DEVICE, now).isEmpty()) {
            failures.computeIfAbsent(device, k -> new ArrayDeque<>()).addLast(now);
            return;
        }
        failures.computeIfAbsent(nameKey(name), k -> new ArrayDeque<>()).addLast(now);
        if (!isLocal(address)) failures.computeIfAbsent(addressKey(address), k -> new ArrayDeque<>()).addLast(now);
    }

    /** The right password: the failures of this name and device are forgiven. */
    public synchronized void succeeded(String name, String deviceToken) {
        failures.remove(nameKey(name));
        String device = device(name, deviceToken);
        if (device != null) failures.remove(device);
    }

    /** The counting key of a valid device token for {@code name}, or null. */
    private String device(String name, String token) {
        if (token == null || name == null) return null;
        int dot = token.indexOf('.');
        if (dot <= 0 || token.length() > 200) return null;
        String id = token.substring(0, dot);
        byte[] expected = mac(nameKey(name) + "|" + id).getBytes(StandardCharsets.US_ASCII);
        byte[] given = token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? "d:" + id : null;
    }

    private String mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(deviceSecret, "HmacSHA256"));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
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

    /** 127.0.0.0/8 and ::1: every client on this machine. */
    static boolean isLocal(String address) {
        if (address == null) return true;
        String a = address.startsWith("[") && address.endsWith("]") ? address.substring(1, address.length() - 1) : address;
        return a.startsWith("127.") || a.equals("::1") || a.equals("0:0:0:0:0:0:0:1");
    }

    private static String nameKey(String name) { return "n:" + (name == null ? "" : name.toLowerCase(Locale.ROOT)); }

    private static String addressKey(String address) { return "a:" + address; }
}
