package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains LoRA weights on a frozen {@link TransformerModel}. Each optimizer step takes {@code gradAccumulation}
 * sequences and minimises {@code sum(w_i · CE_i) / sum(w_i)} over all their weighted tokens with AdamW, a warmup +
 * cosine learning rate and global-norm gradient clipping.
 *
 * <p>Determinism: epoch e visits the sequences in a permutation drawn from (seed, e); step s takes the next
 * {@code gradAccumulation} of them; dropout masks come from (seed, s, sequence, slot). Nothing depends on a running
 * random generator, so a run resumed from a checkpoint of step s continues exactly like the uninterrupted run.
 */
public final class LoraTrainer {
    private final TransformerModel model;
    private final LoraConfig loraConfig;
    private final TrainingConfig config;
    private final Path checkpointFile;
    private LoraWeights weights;
    private LoraWeights start;
    private float anchor;

    /** @param checkpointFile where checkpoints go every {@code checkpointEvery} steps; null for none */
    public LoraTrainer(TransformerModel model, LoraConfig lora, TrainingConfig config, Path checkpointFile) {
        this.model = model;
        this.loraConfig = lora;
        this.config = config;
        this.checkpointFile = checkpointFile;
        this.weights = LoraWeights.initialize(model.config(), lora);
        if (config.checkpointEvery() > 0 && checkpointFile == null) {
            throw new IllegalArgumentException("checkpointEvery is set but no checkpoint file was given");
        }
    }

    /** The current LoRA weights (live). */
    public LoraWeights weights() {
        return weights;
    }

    /** Optimizer steps a run over {@code sequenceCount} sequences takes. */
    public int totalSteps(int sequenceCount) {
        int perEpoch = Math.ceilDiv(sequenceCount, config.gradAccumulation());
        int all = perEpoch * config.epochs();
        return config.maxSteps() > 0 ? Math.min(all, config.maxSteps()) : all;
    }

    /**
     * Makes {@link #train} continue from {@code from} (the adapter serving now) instead of fresh weights, and, when
     * {@code anchor > 0}, adds {@code anchor · ||θ − θ_from||²} to the loss: a pull toward the previous model that
     * limits forgetting (regularisation; off by default in the nightly update until measured).
     */
    public void startFrom(LoraWeights from, float anchor) {
        if (from.slots().size() != LoraWeights.zeros(model.config(), loraConfig).slots().size()
                || from.config().rank() != loraConfig.rank() || !from.config().targets().equals(loraConfig.targets())) {
            throw new IllegalArgumentException("the adapter to continue from has rank " + from.config().rank() + " on "
                    + from.config().targets() + "; this run trains rank " + loraConfig.rank() + " on " + loraConfig.targets());
        }
        if (!(anchor >= 0)) throw new IllegalArgumentException("anchor must be >= 0");
        this.start = from.copy();
        this.anchor = anchor;
    }

    /** Trains from freshly initialised weights, or from the adapter given to {@link #startFrom}. */
    public TrainingResult train(List<TrainingSequence> data, TrainingListener listener) {
        weights = start != null ? start.copy() : LoraWeights.initialize(model.config(), loraConfig);
        List<TrainingSequence> usable = prepare(data);
        AdamW adam = new AdamW(config, weights);
        return run(usable, adam, 0, new ArrayList<>(), listener);
    }

    /** Continues the run a checkpoint of this trainer's configuration and data recorded. */
    public TrainingResult resume(Path checkpoint, List<TrainingSequence> data, TrainingListener listener) {
        List<TrainingSequence> usable = prepare(data);
        Checkpoint c;
        try {
            c = Checkpoint.read(checkpoint, model.config(), loraConfig);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        if (c.fingerprint() != fingerprint(usable)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " was written for another model, "
                    + "configuration or data set; it cannot be resumed here");
        }
        weights = c.weights();
        AdamW adam = new AdamW(config, weights);
        for (int i = 0; i < adam.m.length; i++) {
            System.arraycopy(c.adamM()[i], 0, adam.m[i], 0, adam.m[i].length);
            System.arraycopy(c.adamV()[i], 0, adam.v[i], 0, adam.v[i].length);
        }
        return run(usable, adam, c.stepsDone(), new ArrayList<>(c.lossHistory()), listener);
    }

    private List<TrainingSequence> prepare(List<TrainingSequence> data) {
        List<TrainingSequence> usable = new ArrayList<>();
        for (TrainingSequence s : data) {
            TrainingSequence t = s.truncated(config.maxSeqLen());
            if (t.weightSum() > 0) {
                usable.add(t);
            }
        }
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("no training sequence has a token with positive loss weight (of "
                    + data.size() + " sequences)");
        }
        return usable;
    }

    private TrainingResult run(List<TrainingSequence> data, AdamW adam, int firstStep, List<Double> history,
            TrainingListener listener) {
        int total = totalSteps(data.size());
        LrSchedule schedule = new LrSchedule(config.lr(), config.warmupSteps(), total, config.minLrRatio());
        long started = System.nanoTime();
        long tokens = 0;
        for (int step = firstStep; step < total; step++) {
            List<TrainingSequence> batch = batch(data, step);
            double weightSum = 0;
            for (TrainingSequence s : batch) {
                weightSum += s.weightSum();
            }
            float[][] params = AdamW.parameters(weights);
            float[][] grads = null;
            double lossSum = Double.NaN;
            // A step whose gradients come out non-finite is computed again once or twice before the run stops: real
            // divergence gives NaN every time. (The rare NaN that a recompute used to cure was freed memory read by
            // the backward pass; see OwnedArrays.)
            for (int attempt = 0; attempt < 3; attempt++) {
                grads = new float[params.length][];
                for (int i = 0; i < params.length; i++) {
                    grads[i] = new float[params[i].length];
                }
                List<Dropout> dropouts = new ArrayList<>();
                for (int j = 0; j < batch.size(); j++) {
                    dropouts.add(new Dropout(loraConfig.dropout(), config.seed(), step, j));
                }
                lossSum = 0;
                for (double l : accumulate(batch, dropouts, weightSum, grads)) {
                    lossSum += l;
                }
                if (Double.isFinite(lossSum) && allFinite(grads)) {
                    break;
                }
                System.err.println("warning: non-finite gradients at step " + (step + 1) + "; recomputing the step");
            }
            for (TrainingSequence seq : batch) {
                tokens += seq.length();
            }
            if (!Double.isFinite(lossSum) || !allFinite(grads)) {
                throw new ArithmeticException("training diverged at step " + (step + 1) + ": loss " + lossSum / weightSum
                        + (allFinite(grads) ? "" : ", non-finite gradients") + "; lower the learning rate");
            }
            if (anchor > 0) {
                float[][] from = AdamW.parameters(start);
                for (int i = 0; i < grads.length; i++) {
                    for (int k = 0; k < grads[i].length; k++) grads[i][k] += 2f * anchor * (params[i][k] - from[i][k]);
                }
            }
            clip(grads);
            adam.step(weights, grads, schedule.at(step), step + 1);
            double loss = lossSum / weightSum;
            history.add(loss);
            int done = step + 1;
            double seconds = (System.nanoTime() - started) / 1e9;
            if (config.checkpointEvery() > 0 && done % config.checkpointEvery() == 0 && done < total) {
                checkpoint(data, adam, done, history);
            }
            listener.onProgress(new TrainingProgress(done, total, loss, tokens / seconds,
                    seconds / (done - firstStep) * (total - done)));
        }
        return new TrainingResult(total, history.isEmpty() ? Double.NaN : history.get(history.size() - 1), history);
    }

    /**
     * Adds d(loss of {@code batch} / weightSum)/dθ to {@code grads} (A0, B0, A1, B1, ...); returns each sequence's
     * unnormalised loss.
     */
    private double[] accumulate(List<TrainingSequence> batch, List<Dropout> dropouts, double weightSum,
            float[][] grads) {
        return model.lossAndGradients(batch, LoraTensors.of(weights), dropouts, 1.0 / weightSum,
                (slot, isA, gradient) -> add(grads[2 * slot + (isA ? 0 : 1)], gradient));
    }

    private static void add(float[] into, NDArray gradient) {
        float[] g = gradient.toType(DataType.FLOAT32, false).toFloatArray();
        for (int k = 0; k < into.length; k++) {
            into[k] += g[k];
        }
    }

    private static boolean allFinite(float[][] grads) {
        for (float[] g : grads) {
            for (float x : g) {
                if (!Float.isFinite(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void clip(float[][] grads) {
        if (config.gradClip() <= 0) {
            return;
        }
        double sq = 0;
        for (float[] g : grads) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        double norm = Math.sqrt(sq);
        if (norm > config.gradClip()) {
            float f = (float) (config.gradClip() / (norm + 1e-6));
            for (float[] g : grads) {
                for (int k = 0; k < g.length; k++) {
                    g[k] *= f;
                }
            }
        }
    }

    /** The sequences of optimizer step {@code step}: a slice of epoch {@code step / stepsPerEpoch}'s permutation. */
    private List<TrainingSequence> batch(List<TrainingSequence> data, int step) {
        int perEpoch = Math.ceilDiv(data.size(), config.gradAccumulation());
        int epoch = step / perEpoch;
        int[] order = permutation(data.size(), Seeds.mix(config.seed(), epoch));
        int from = (step % perEpoch) * config.gradAccumulation();
        int to = Math.min(from + config.gradAccumulation(), data.size());
        List<TrainingSequence> batch = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            batch.add(data.get(order[i]));
        }
        return batch;
    }

    /** Fisher–Yates shuffle of 0..n-1. */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private void checkpoint(List<TrainingSequence> data, AdamW adam, int done, List<Double> history) {
        try {
            new Checkpoint(fingerprint(data), done, weights, adam.m, adam.v, history).write(checkpointFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + checkpointFile + ": " + e.getMessage(), e);
        }
    }

    /** Identifies model shape, LoRA and training configuration, and data, independent of JVM run. */
    private long fingerprint(List<TrainingSequence> data) {
        List<Long> parts = new ArrayList<>();
        parts.add((long) model.config().toString().hashCode());
        parts.add((long) config.toString().hashCode());
        parts.add((long) loraConfig.rank());
        parts.add((long) Float.floatToIntBits(loraConfig.alpha()));
        parts.add((long) Float.floatToIntBits(loraConfig.dropout()));
        parts.add(loraConfig.seed());
        for (LoraTarget t : LoraTarget.values()) {
            parts.add(loraConfig.targets().contains(t) ? 1L : 0L);
        }
        for (TrainingSequence s : data) {
            parts.add((long) java.util.Arrays.hashCode(s.tokens()));
            parts.add((long) java.util.Arrays.hashCode(s.lossWeights()));
        }
        return Seeds.mix(parts.stream().mapToLong(Long::longValue).toArray());
    }
}
