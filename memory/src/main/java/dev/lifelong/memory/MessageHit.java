package dev.lifelong.memory;

/** A past message found by a search, with its conversation's title and a short excerpt around the first match. */
public record MessageHit(Message message, String conversationTitle, String snippet) {
}
