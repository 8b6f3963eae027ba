package dev.lifelong.memory;

import java.time.Instant;

/** One message of a conversation. Times have millisecond precision. */
public record Message(long id, long conversationId, Role role, String content, MessageStatus status, Instant createdAt) {
}
