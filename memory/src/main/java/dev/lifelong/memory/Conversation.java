package dev.lifelong.memory;

import java.time.Instant;

/** A chat thread of one user. Times have millisecond precision. */
public record Conversation(long id, long userId, String title, Instant createdAt, Instant updatedAt) {
}
