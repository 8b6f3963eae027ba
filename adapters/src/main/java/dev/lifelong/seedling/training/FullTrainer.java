package dev.lifelong.seedling.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.lifelong.lora.OwnedArrays;
import dev.lifelong.lora.TrainingListener;
import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.lora.TrainingSequence;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains every weight of a {@link FullModel} from scratch. Each optimizer step takes {@code batchSize ·
 * gradAccumulation} sequences, sorts them by length and runs them as {@code gradAccumulation} right-padded batches;
 * the loss is {@code sum(w_i · CE_i) / sum(w_i)} over all their weighted tokens. AdamW (decay on matrices only),
 * linear warmup + cosine decay, global-norm clipping, fp32 throughout.
 *
 * <p>Determinism: the data is an endless sequence of epochs, epoch e a permutation drawn from (seed, e); step s takes
 * the next {@code batchSize · gradAccumulation} sequences. Weights come from (seed, tensor name). Nothing depends on a
 * running random generator, so a run resumed from the checkpoint of step s continues exactly like the uninterrupted run.
 */
public final class FullTrainer {
    /** How a run ended. {@code stoppedEarly}: the time budget or {@code stopAfterSteps} ended it before totalSteps. */
    public record Result(int stepsDone, int totalSteps, double finalLoss, List<Double> lossHistory, long tokens,
            double seconds, boolean stoppedEarly) {
    }

    private final SeedlingModelConfig modelConfig;
    private final SeedlingTrainingConfig config;
    private final Path checkpointFile;
    private FullModel model;

    /** @param checkpointFile where checkpoints go; null for none (then checkpointEvery must be 0) */
    public FullTrainer(SeedlingModelConfig modelConfig, SeedlingTrainingConfig config, Path checkpointFile) {
        if (config.checkpointEvery() > 0 && checkpointFile == null) {
            throw new IllegalArgumentException("checkpointEvery is set but no checkpoint file was given");
        }
        this.modelConfig = modelConfig;
        this.config = config;
        this.checkpointFile = checkpointFile;
        this.model = FullModel.initialize(modelConfig, config.seed());
    }

    /** The model being trained (live weights). */
    public FullModel model() {
        return model;
    }

    /** Trains from freshly initialised weights. */
    public Result train(List<TrainingSequence> data, TrainingListener listener) {
        List<TrainingSequence> usable = prepare(data);
        model = FullModel.initialize(modelConfig, config.seed());
        Map<String, float[]> m = zeros();
        Map<String, float[]> v = zeros();
        return run(usable, m, v, 0, new ArrayList<>(), listener);
    }

    /** Continues the run that {@code checkpoint} recorded, with this trainer's configuration and data. */
    public Result resume(Path checkpoint, List<TrainingSequence> data, TrainingListener listener) {
        List<TrainingSequence> usable = prepare(data);
        FullCheckpoint c;
        try {
            c = FullCheckpoint.read(checkpoint);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
        if (c.fingerprint() != fingerprint(usable)) {
            throw new IllegalArgumentException("checkpoint " + checkpoint + " was written for another model, "
                    + "configuration or data set; it cannot be resumed here");
        }
        model = FullModel.of(modelConfig, c.weights());
        return run(usable, new LinkedHashMap<>(c.adamM()), new LinkedHashMap<>(c.adamV()), c.stepsDone(),
                new ArrayList<>(c.lossHistory()), listener);
    }

    private Map<String, float[]> zeros() {
        Map<String, float[]> z = new LinkedHashMap<>();
        for (FullModel.Tensor t : model.tensors()) {
            z.put(t.name(), new float[t.size()]);
        }
        return z;
    }

    private List<TrainingSequence> prepare(List<TrainingSequence> data) {
        List<TrainingSequence> usable = new ArrayList<>();
        for (TrainingSequence s : data) {
            int[] t = s.tokens();
            float[] w = s.lossWeights();
            if (t.length > config.maxSeqLen()) {
                t = Arrays.copyOf(t, config.maxSeqLen());
                w = Arrays.copyOf(w, config.maxSeqLen());
            }
            if (t.length > modelConfig.contextLength()) {
                throw new IllegalArgumentException("maxSeqLen " + config.maxSeqLen() + " exceeds the context length "
                        + modelConfig.contextLength());
            }
            double sum = 0;
            for (int i = 1; i < w.length; i++) {
                sum += w[i];
            }
            if (sum > 0) {
                usable.add(new TrainingSequence(t, w));
            }
        }
        if (usable.isEmpty()) {
            throw new IllegalArgumentException("no training sequence has a token with positive loss weight (of "
                    + data.size() + " sequences)");
        }
        return usable;
    }

    private Result run(List<TrainingSequence> data, Map<String, float[]> adamM, Map<String, float[]> adamV,
            int firstStep, List<Double> history, TrainingListener listener) {
        FullModel.computeThreads(config.threads());
        int total = config.totalSteps();
        long started = System.nanoTime();
        long tokens = 0;
        int step = firstStep;
        boolean early = false;
        while (step < total) {
            List<TrainingSequence> seqs = sequencesOf(data, step);
            seqs.sort(Comparator.comparingInt(s -> s.tokens().length));
            double weightSum = 0;
            for (TrainingSequence s : seqs) {
                float[] w = s.lossWeights();
                for (int i = 1; i < w.length; i++) {
                    weightSum += w[i];
                }
                tokens += w.length;
            }
            Map<String, float[]> grads = zeros();
            double lossSum = 0;
            for (int j = 0; j < config.gradAccumulation(); j++) {
                int from = j * config.batchSize();
                int to = Math.min(seqs.size(), from + config.batchSize());
                if (from < to) {
                    lossSum += accumulate(seqs.subList(from, to), weightSum, grads);
                }
            }
            double loss = lossSum / weightSum;
            if (!Double.isFinite(loss) || !allFinite(grads)) {
                throw new ArithmeticException("training diverged at step " + (step + 1) + ": loss " + loss
                        + "; lower the learning rate");
            }
            clip(grads);
            adamStep(grads, adamM, adamV, lr(step, total), step + 1);
            history.add(loss);
            step++;
            double seconds = (System.nanoTime() - started) / 1e9;
            boolean outOfTime = config.timeBudgetSeconds() > 0 && seconds >= config.timeBudgetSeconds();
            boolean stopHere = config.stopAfterSteps() > 0 && step >= config.stopAfterSteps();
            early = (outOfTime || stopHere) && step < total;
            if (checkpointFile != null && step < total
                    && (early || (config.checkpointEvery() > 0 && step % config.checkpointEvery() == 0))) {
                checkpoint(data, adamM, adamV, step, history);
            }
            listener.onProgress(new TrainingProgress(step, total, loss, tokens / seconds,
                    seconds / (step - firstStep) * (total - step)));
            if (early) {
                break;
            }
        }
        return new Result(step, total, history.isEmpty() ? Double.NaN : history.get(history.size() - 1),
                List.copyOf(history), tokens, (System.nanoTime() - started) / 1e9, early);
    }

    /** Adds d(loss of {@code batch} / weightSum)/dθ to {@code grads}; returns the batch's unnormalised loss. */
    private double accumulate(List<TrainingSequence> batch, double weightSum, Map<String, float[]> grads) {
        FullModel.computeThreads(config.threads());
        int[][] tokens = new int[batch.size()][];
        float[][] weights = new float[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            tokens[i] = batch.get(i).tokens();
            weights[i] = batch.get(i).lossWeights();
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> w = model.arrays(m, DataType.FLOAT32, true);
            double loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray sum = FullModel.weightedLoss(modelConfig, w, m, tokens, weights);
                collector.backward(sum.div(OwnedArrays.scalar(sum, weightSum)));
                loss = sum.toType(DataType.FLOAT64, false).getDouble();
            }
            for (Map.Entry<String, NDArray> e : w.entrySet()) {
                float[] g = e.getValue().getGradient().toFloatArray();
                float[] into = grads.get(e.getKey());
                for (int k = 0; k < into.length; k++) {
                    into[k] += g[k];
                }
            }
            return loss;
        }
    }

    /** {@link LrSchedule}'s warmup + cosine, computed with StrictMath so it is the same bits in every run. */
    private float lr(int step, int total) {
        float peak = config.lr();
        if (step < config.warmupSteps()) {
            return peak * (step + 1) / config.warmupSteps();
        }
        int decaySteps = Math.max(1, total - config.warmupSteps() - 1);
        double progress = Math.min(1.0, (double) (step - config.warmupSteps()) / decaySteps);
        double cosine = 0.5 * (1 + StrictMath.cos(StrictMath.PI * progress));
        return (float) (peak * (config.minLrRatio() + (1 - config.minLrRatio()) * cosine));
    }

    /** AdamW, decoupled decay on matrices only, bias-corrected; {@code t} counts from 1. */
    private void adamStep(Map<String, float[]> grads, Map<String, float[]> adamM, Map<String, float[]> adamV,
            float lr, int t) {
        float b1 = config.beta1();
        float b2 = config.beta2();
        double c1 = 1 - StrictMath.pow(b1, t); // StrictMath: bit-identical whether interpreted or JIT-compiled
        double c2 = 1 - StrictMath.pow(b2, t);
        for (FullModel.Tensor tensor : model.tensors()) {
            float[] p = model.values(tensor.name());
            float[] g = grads.get(tensor.name());
            float[] m = adamM.get(tensor.name());
            float[] v = adamV.get(tensor.name());
            double decay = tensor.isMatrix() ? config.weightDecay() : 0;
            for (int j = 0; j < p.length; j++) {
                m[j] = b1 * m[j] + (1 - b1) * g[j];
                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j];
                double mHat = m[j] / c1;
                double vHat = v[j] / c2;
                p[j] = (float) (p[j] - lr * (mHat / (Math.sqrt(vHat) + config.eps()) + decay * p[j]));
            }
        }
    }

    private static boolean allFinite(Map<String, float[]> grads) {
        for (float[] g : grads.values()) {
            for (float x : g) {
                if (!Float.isFinite(x)) {
                    return false;
                }
            }
        }
        return true;
    }

    private void clip(Map<String, float[]> grads) {
        if (config.gradClip() <= 0) {
            return;
        }
        double sq = 0;
        for (float[] g : grads.values()) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        double norm = Math.sqrt(sq);
        if (norm > config.gradClip()) {
            float f = (float) (config.gradClip() / (norm + 1e-6));
            for (float[] g : grads.values()) {
                for (int k = 0; k < g.length; k++) {
                    g[k] *= f;
                }
            }
        }
    }

    /** The sequences of optimizer step {@code step}: the next slice of the endless stream of shuffled epochs. */
    private List<TrainingSequence> sequencesOf(List<TrainingSequence> data, int step) {
        int perStep = config.batchSize() * config.gradAccumulation();
        List<TrainingSequence> out = new ArrayList<>(perStep);
        int cachedEpoch = -1;
        int[] order = null;
        for (long g = (long) step * perStep; g < (long) (step + 1) * perStep; g++) {
            int epoch = (int) (g / data.size());
            if (epoch != cachedEpoch) {
                order = permutation(data.size(), FullModel.mix(config.seed(), 0x5EED_0000L + epoch));
                cachedEpoch = epoch;
            }
            out.add(data.get(order[(int) (g % data.size())]));
        }
        return out;
    }

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

    private void checkpoint(List<TrainingSequence> data, Map<String, float[]> m, Map<String, float[]> v, int done,
            List<Double> history) {
        Map<String, float[]> w = new LinkedHashMap<>();
        for (FullModel.Tensor t : model.tensors()) {
            w.put(t.name(), model.values(t.name()));
        }
        try {
            new FullCheckpoint(fingerprint(data), done, w, m, v, history).write(checkpointFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + checkpointFile + ": " + e.getMessage(), e);
        }
    }

    /** Model shape, the settings that change the trajectory (not budget, stop or threads), and the data. */
    private long fingerprint(List<TrainingSequence> data) {
        SeedlingTrainingConfig c = config;
        String settings = modelConfig + "|" + c.lr() + "|" + c.warmupSteps() + "|" + c.minLrRatio() + "|"
                + c.weightDecay() + "|" + c.beta1() + "|" + c.beta2() + "|" + c.eps() + "|" + c.gradClip() + "|"
                + c.batchSize() + "|" + c.gradAccumulation() + "|" + c.maxSeqLen() + "|" + c.totalSteps() + "|"
                + c.seed();
        long h = FullModel.mix(settings.hashCode(), data.size());
        for (TrainingSequence s : data) {
            h = FullModel.mix(h, Arrays.hashCode(s.tokens()));
            h = FullModel.mix(h, Arrays.hashCode(s.lossWeights()));
        }
        return h;
    }
}
