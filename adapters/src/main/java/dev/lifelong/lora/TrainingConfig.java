package dev.lifelong.lora;

/**
 * Optimisation settings.
 *
 * @param minLrRatio the cosine decay ends at {@code lr · minLrRatio}
 * @param gradClip maximum global gradient norm (0 = no clipping)
 * @param gradAccumulation sequences per optimizer step
 * @param maxSteps stop after this many optimizer steps (0 = run all epochs)
 * @param checkpointEvery write a checkpoint every this many steps (0 = never)
 */
public record TrainingConfig(float lr, int warmupSteps, float minLrRatio, float weightDecay, float beta1, float beta2,
        float eps, float gradClip, int gradAccumulation, int maxSeqLen, int epochs, int maxSteps, long seed,
        int checkpointEvery) {
    public TrainingConfig {
        if (!(lr > 0) || warmupSteps < 0 || !(minLrRatio >= 0 && minLrRatio <= 1) || weightDecay < 0
                || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || gradClip < 0
                || gradAccumulation < 1 || maxSeqLen < 2 || epochs < 1 || maxSteps < 0 || checkpointEvery < 0) {
            throw new IllegalArgumentException("invalid training config: " + this);
        }
    }

    /** lr 2e-4, 3% style warmup of 10 steps, cosine to 10%, AdamW (0.9, 0.999, 1e-8), wd 0, clip 1, 1 epoch. */
    public static TrainingConfig defaults() {
        return new TrainingConfig(2e-4f, 10, 0.1f, 0f, 0.9f, 0.999f, 1e-8f, 1f, 1, 2048, 1, 0, 0, 0);
    }

    public TrainingConfig withLr(float v) {
        return new TrainingConfig(v, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                gradAccumulation, maxSeqLen, epochs, maxSteps, seed, checkpointEvery);
    }

    public TrainingConfig withWarmup(int v) {
        return new TrainingConfig(lr, v, minLrRatio, weightDecay, beta1, beta2, eps, gradClip, gradAccumulation,
                maxSeqLen, epochs, maxSteps, seed, checkpointEvery);
    }

    public TrainingConfig withEpochs(int v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                gradAccumulation, maxSeqLen, v, maxSteps, seed, checkpointEvery);
    }

    public TrainingConfig withMaxSteps(int v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                gradAccumulation, maxSeqLen, epochs, v, seed, checkpointEvery);
    }

    public TrainingConfig withGradAccumulation(int v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip, v,
                maxSeqLen, epochs, maxSteps, seed, checkpointEvery);
    }

    public TrainingConfig withSeed(long v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                gradAccumulation, maxSeqLen, epochs, maxSteps, v, checkpointEvery);
    }

    public TrainingConfig withCheckpointEvery(int v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                gradAccumulation, maxSeqLen, epochs, maxSteps, seed, v);
    }

    public TrainingConfig withWeightDecay(float v) {
        return new TrainingConfig(lr, warmupSteps, minLrRatio, v, beta1, beta2, eps, gradClip, gradAccumulation,
                maxSeqLen, epochs, maxSteps, seed, checkpointEvery);
    }
}
