package dev.lifelong.loop;

import dev.lifelong.lora.TrainingProgress;

/** What a running update reports: its phase, and each training step. */
public interface UpdateListener {
    UpdateListener NONE = new UpdateListener() {
    };

    default void phase(String phase) {
    }

    default void training(TrainingProgress progress) {
    }
}
