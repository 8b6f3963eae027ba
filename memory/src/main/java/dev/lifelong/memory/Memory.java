package dev.lifelong.memory;

import java.time.Instant;

/**
 * Something durable the user told Lifelong. Only ACTIVE memories that are not superseded are ever retrieved.
 *
 * @param sourceMessageId the message it was learned from, or null when the user wrote it on the memory page
 * @param supersededBy the newer memory that replaced this one ("moved to Berlin" replaces "lives in Paris"), or null
 */
public record Memory(long id, long userId, MemoryKind kind, String text, Long sourceMessageId, Instant createdAt,
        Instant updatedAt, boolean pinned, Long supersededBy, State state) {

    public enum State {
        /** Retrieved and shown. */
        ACTIVE,
        /** Never retrieved or shown again. */
        DELETED,
        /** Deleted, its text erased, and the conversation it came from kept out of every future training set. */
        FORGOTTEN;

        String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static State fromWire(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** Retrieved into prompts: active and not replaced by a newer memory. */
    public boolean live() {
        return state == State.ACTIVE && supersededBy == null;
    }
}
