package dev.lifelong.memory;

import java.time.Instant;

/**
 * A chat thread of one user. Times have millisecond precision. A private conversation is never used to train the user's
 * adapter.
 */
public record Conversation(long id, long userId, String title, Instant createdAt, Instant updatedAt, boolean isPrivate) {
    public Conversation(long id, long userId, String title, Instant createdAt, Instant updatedAt) {
        this(id, userId, title, createdAt, updatedAt, false);
    }
}
