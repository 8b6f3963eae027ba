package dev.lifelong.loop;

/**
 * How the nightly update builds, trains and judges an adapter. {@link #defaults()} are the documented defaults
 * (README, "The lifelong loop").
 *
 * @param replayRatio       share of all earlier examples replayed (0.01 = 1%)
 * @param replayMinimum     replay at least this many earlier examples (when there are that many)
 * @param heldOutFraction   share of new examples held out to measure learning (when there are at least 5)
 * @param oldHeldOut        earlier examples (not replayed) measured for forgetting
 * @param anchor            L2 pull toward the previous adapter (0 = off)
 * @param epochs            passes over the night's data; 0 = chosen from its size (3 below 4k tokens, 2 below 16k, else 1)
 * @param keepVersions      promoted adapter files kept per user (older ones keep their figures, lose their file)
 * @param factWeight        loss weight of the closed-book fact examples made from memories (1 = like a chat turn)
 * @param factVariants      teach each fact in several wordings ({@link FactVariants}) instead of its cue alone
 * @param selfReplay        general prompts the serving model answers before training, mixed in as replay of its own
 *                          behaviour (0 = off)
 */
public record UpdateSettings(double replayRatio, int replayMinimum, double heldOutFraction, int oldHeldOut, int rank,
        float alpha, float lr, int epochs, int maxSeqLen, float anchor, long seed, int threads, int keepVersions,
        String systemPrompt, Gate gate, double factWeight, boolean factVariants, int selfReplay) {

    /**
     * Promotion thresholds.
     *
     * @param minPlasticityGain   the new held-out loss must drop by at least this share vs the serving model
     * @param maxStabilityLoss    the earlier held-out loss may rise by at most this share vs the serving model
     * @param maxGeneralLoss      the general-probe loss may be at most this share above the base model's
     * @param maxFactAccuracyDrop closed-book fact accuracy may drop by at most this (absolute) vs the serving model
     */
    public record Gate(double minPlasticityGain, double maxStabilityLoss, double maxGeneralLoss, double maxFactAccuracyDrop) {
        public static Gate defaults() {
            return new Gate(0.01, 0.05, 0.02, 0.05);
        }
    }

    public UpdateSettings {
        if (!(replayRatio >= 0 && replayRatio <= 1)) throw new IllegalArgumentException("replay ratio must be between 0 and 1");
        if (replayMinimum < 0 || oldHeldOut < 0) throw new IllegalArgumentException("counts must be >= 0");
        if (!(heldOutFraction >= 0 && heldOutFraction < 1)) throw new IllegalArgumentException("held-out fraction must be in [0, 1)");
        if (!(factWeight > 0) || !Double.isFinite(factWeight)) throw new IllegalArgumentException("fact weight must be > 0");
        if (selfReplay < 0) throw new IllegalArgumentException("self-replay count must be >= 0");
        if (rank < 1 || !(alpha > 0) || !(lr > 0) || epochs < 0 || maxSeqLen < 16 || !(anchor >= 0) || threads < 0 || keepVersions < 1) {
            throw new IllegalArgumentException("invalid update settings: " + this);
        }
    }

    public static UpdateSettings defaults() {
        return new UpdateSettings(0.01, 8, 0.1, 32, 8, 16f, 1e-3f, 0, 512, 0f, 1, 0, 5, null, Gate.defaults(), 1.0, true, SelfReplay.DEFAULT_COUNT);
    }

    public UpdateSettings withSystemPrompt(String s) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, s, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withGate(Gate g) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, g, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withReplay(double ratio, int minimum) {
        return new UpdateSettings(ratio, minimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withTraining(int rank, float lr, int epochs) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, 2f * rank, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withAnchor(float a) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, a, seed, threads, keepVersions, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withThreads(int t) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, t, keepVersions, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withFactWeight(double w) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, gate, w, factVariants, selfReplay);
    }

    public UpdateSettings withSeed(long s) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, s, threads, keepVersions, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withKeepVersions(int k) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, k, systemPrompt, gate, factWeight, factVariants, selfReplay);
    }

    public UpdateSettings withFactVariants(boolean on) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, gate, factWeight, on, selfReplay);
    }

    public UpdateSettings withSelfReplay(int count) {
        return new UpdateSettings(replayRatio, replayMinimum, heldOutFraction, oldHeldOut, rank, alpha, lr, epochs, maxSeqLen, anchor, seed, threads, keepVersions, systemPrompt, gate, factWeight, factVariants, count);
    }
}
