package dev.lifelong.loop;

import dev.lifelong.lora.data.ChatExample;
import java.time.Instant;

/**
 * A curated training example and where it came from.
 *
 * @param sourceMessageId the answer (or corrected answer) it was made from; null for a fact from the memory
 * @param at              when its source was written (replay is stratified by month on it)
 */
public record DatasetExample(ChatExample example, Kind kind, Long sourceMessageId, Instant at) {
    public enum Kind {
        /** A user message and the assistant's answer. */
        TURN,
        /** A corrected answer (weighted up). */
        CORRECTION,
        /** A live memory as a question the adapter should answer closed-book. */
        FACT
    }
}
