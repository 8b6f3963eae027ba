package dev.lifelong.assistant.memory;

import dev.lifelong.assistant.runtime.ChatTurn;

import java.util.List;

/** Finds durable memories about the user (facts, preferences, corrections, events) in one exchange. */
public interface MemoryExtractor {
    /** @param exchange the user's message and the answer (oldest first); @return possibly none */
    List<ExtractedMemory> extract(List<ChatTurn> exchange);
}
