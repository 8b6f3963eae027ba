package dev.lifelong.lora;

/** Told after every optimizer step. */
@FunctionalInterface
public interface TrainingListener {
    TrainingListener NONE = p -> { };

    void onProgress(TrainingProgress progress);
}
