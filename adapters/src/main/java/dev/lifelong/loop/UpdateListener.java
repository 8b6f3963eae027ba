package dev.lifelong.loop;

import dev.lifelong.lora.TrainingProgress;

/** What a running update reports: its phase, each training step, and evaluation progress. */
public interface UpdateListener {
    UpdateListener NONE = new UpdateListener() {
    };

    default void phase(String phase) {
    }

    default void training(TrainingProgress progress) {
    }

    /** Evaluation has scored {@code done} of {@code total} tokens (all model variants and sets together). */
    default void evaluation(long done, long total) {
    }
}
