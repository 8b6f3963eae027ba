package dev.lifelong.assistant.runtime;

import java.util.Objects;

/** One message of a chat as the model sees it: role is "system", "user" or "assistant". */
public record ChatTurn(String role, String content) {
    public ChatTurn {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
            throw new IllegalArgumentException("role must be system, user or assistant, not '" + role + "'");
        }
    }

    public static ChatTurn system(String content) { return new ChatTurn("system", content); }
    public static ChatTurn user(String content) { return new ChatTurn("user", content); }
    public static ChatTurn assistant(String content) { return new ChatTurn("assistant", content); }
}
