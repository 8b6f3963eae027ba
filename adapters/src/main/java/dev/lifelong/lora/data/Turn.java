package dev.lifelong.lora.data;

import java.util.Objects;
import java.util.Set;

/** One message of a training conversation: role is "system", "user" or "assistant". */
public record Turn(String role, String content) {
    public static final Set<String> ROLES = Set.of("system", "user", "assistant");

    public Turn {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (!ROLES.contains(role)) {
            throw new IllegalArgumentException("role must be system, user or assistant, not '" + role + "'");
        }
    }

    public static Turn system(String content) { return new Turn("system", content); }
    public static Turn user(String content) { return new Turn("user", content); }
    public static Turn assistant(String content) { return new Turn("assistant", content); }
}
