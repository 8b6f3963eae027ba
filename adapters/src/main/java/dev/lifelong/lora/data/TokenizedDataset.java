package dev.lifelong.lora.data;

import dev.lifelong.lora.TrainingSequence;

import java.util.List;

/**
 * Tokenized training data and what happened on the way.
 *
 * @param examples   examples given
 * @param tokens     tokens in {@code sequences}
 * @param lossTokens tokens with a loss weight above 0
 * @param truncated  kept sequences that were cut to the maximum length
 * @param dropped    examples left out, with why
 */
public record TokenizedDataset(List<TrainingSequence> sequences, int examples, long tokens, long lossTokens,
        int truncated, List<Dropped> dropped) {
    /** @param example index of the example in the input list (0-based) */
    public record Dropped(int example, String reason) {}

    public TokenizedDataset {
        sequences = List.copyOf(sequences);
        dropped = List.copyOf(dropped);
    }

    public String summary() {
        return examples + " examples -> " + sequences.size() + " sequences, " + tokens + " tokens (" + lossTokens
                + " with loss), " + truncated + " truncated, " + dropped.size() + " dropped";
    }
}
