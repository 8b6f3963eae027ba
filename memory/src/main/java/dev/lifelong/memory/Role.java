package dev.lifelong.memory;

import java.util.Locale;

/** Who wrote a message. The wire name is what the HTTP API and the database use. */
public enum Role {
    SYSTEM, USER, ASSISTANT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException for null or a name that is not one of "system", "user", "assistant" */
    public static Role fromWire(String wireName) {
        for (Role role : values()) {
            if (role.wireName().equals(wireName)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role: " + wireName + " (expected system, user or assistant)");
    }
}
