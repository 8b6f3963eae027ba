package dev.lifelong.memory;

import java.util.Locale;

/**
 * How far a message got. GENERATING is only seen while the model writes; a message still GENERATING at startup was cut
 * off by a crash and becomes PARTIAL ({@link MessageStore#markInterrupted()}).
 */
public enum MessageStatus {
    COMPLETE, PARTIAL, ERROR, GENERATING;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException for null or an unknown name */
    public static MessageStatus fromWire(String wireName) {
        for (MessageStatus status : values()) {
            if (status.wireName().equals(wireName)) {
                return status;
            }
        }
        throw new IllegalArgumentException(
                "unknown message status: " + wireName + " (expected complete, partial, error or generating)");
    }
}
