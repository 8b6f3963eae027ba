package dev.lifelong.seedling.training;

/**
 * Optimisation settings of full training.
 *
 * @param batchSize sequences per forward/backward pass (right-padded to the longest of them)
 * @param gradAccumulation passes per optimizer step (a step sees batchSize · gradAccumulation sequences)
 * @param maxSeqLen longer sequences are truncated
 * @param totalSteps optimizer steps of the run (the cosine schedule ends there)
 * @param weightDecay decoupled AdamW decay, applied to matrices only (not to norms)
 * @param gradClip maximum global gradient norm (0 = none)
 * @param checkpointEvery write a checkpoint every this many steps (0 = never)
 * @param timeBudgetSeconds stop after the first step that ends past this many seconds of training (0 = none); the
 *     model is still written, just less trained
 * @param stopAfterSteps stop (with a checkpoint) after this many steps, as an interruption would (0 = never)
 * @param threads PyTorch intra-op threads (0 = PyTorch's default)
 */
public record SeedlingTrainingConfig(float lr, int warmupSteps, float minLrRatio, float weightDecay, float beta1,
        float beta2, float eps, float gradClip, int batchSize, int gradAccumulation, int maxSeqLen, int totalSteps,
        long seed, int checkpointEvery, long timeBudgetSeconds, int stopAfterSteps, int threads) {
    public SeedlingTrainingConfig {
        if (!(lr > 0) || warmupSteps < 0 || !(minLrRatio >= 0 && minLrRatio <= 1) || weightDecay < 0
                || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || gradClip < 0
                || batchSize < 1 || gradAccumulation < 1 || maxSeqLen < 2 || totalSteps < 1 || checkpointEvery < 0
                || timeBudgetSeconds < 0 || stopAfterSteps < 0 || threads < 0) {
            throw new IllegalArgumentException("invalid training config: " + this);
        }
    }

    /**
     * lr 1e-3, 20 warmup steps, cosine to 10%, AdamW (0.9, 0.95, 1e-8), wd 0.1, clip 1, 4 × 4 sequences of ≤ 1024
     * per step (a pass of 4 × 1024 tokens keeps about 2 GB of attention activations for the default model).
     */
    public static SeedlingTrainingConfig defaults(int totalSteps) {
        return new SeedlingTrainingConfig(1e-3f, 20, 0.1f, 0.1f, 0.9f, 0.95f, 1e-8f, 1f, 4, 4, 1024, totalSteps, 0, 0,
                0, 0, 0);
    }

    public SeedlingTrainingConfig withLr(float v) {
        return new SeedlingTrainingConfig(v, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, seed, checkpointEvery, timeBudgetSeconds,
                stopAfterSteps, threads);
    }

    public SeedlingTrainingConfig withWarmup(int v) {
        return new SeedlingTrainingConfig(lr, v, minLrRatio, weightDecay, beta1, beta2, eps, gradClip, batchSize,
                gradAccumulation, maxSeqLen, totalSteps, seed, checkpointEvery, timeBudgetSeconds, stopAfterSteps,
                threads);
    }

    public SeedlingTrainingConfig withBatch(int batch, int accumulation) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip, batch,
                accumulation, maxSeqLen, totalSteps, seed, checkpointEvery, timeBudgetSeconds, stopAfterSteps,
                threads);
    }

    public SeedlingTrainingConfig withCheckpointEvery(int v) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, seed, v, timeBudgetSeconds, stopAfterSteps,
                threads);
    }

    public SeedlingTrainingConfig withStopAfterSteps(int v) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, seed, checkpointEvery, timeBudgetSeconds, v,
                threads);
    }

    public SeedlingTrainingConfig withTimeBudgetSeconds(long v) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, seed, checkpointEvery, v, stopAfterSteps, threads);
    }

    public SeedlingTrainingConfig withThreads(int v) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, seed, checkpointEvery, timeBudgetSeconds,
                stopAfterSteps, v);
    }

    public SeedlingTrainingConfig withSeed(long v) {
        return new SeedlingTrainingConfig(lr, warmupSteps, minLrRatio, weightDecay, beta1, beta2, eps, gradClip,
                batchSize, gradAccumulation, maxSeqLen, totalSteps, v, checkpointEvery, timeBudgetSeconds,
                stopAfterSteps, threads);
    }
}
