package dev.lifelong.lora;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A llama-family decoder (llama, qwen2) computed eagerly with DJL/PyTorch, the way llama.cpp b4916 computes it:
 * embedding; per block RMSNorm → q, k, v (+ bias) → RoPE → grouped-query causal attention → o → residual, RMSNorm →
 * SwiGLU → down → residual; final RMSNorm; output projection. LoRA adds {@code (alpha/r) · B A dropout(x)} to
 * adapted projections. The base weights are frozen; only LoRA tensors ever record gradients.
 *
 * <p>Memory: the base is held in 16 bits ({@link BaseWeights}) and the model runs one layer at a time, widening only
 * that layer to float32. Training therefore cannot keep autograd's graph over the whole model (it would hold every
 * widened layer until the backward pass); it uses activation checkpointing by hand instead: a forward pass without
 * gradients keeps each layer's input, then the backward pass walks the layers in reverse, recomputes one layer with
 * gradients and back-propagates the gradient of its output into its input and its LoRA matrices. The output layer is
 * never built as one [tokens × vocabulary] matrix: cross-entropy and its gradient are accumulated over row chunks of
 * the vocabulary with a running log-sum-exp, so a 150k vocabulary costs one chunk of memory.
 */
public final class TransformerModel implements AutoCloseable {
    /** Elements of the output matrix widened at a time (32M: 128 MB of float32). */
    private static final int VOCAB_CHUNK_ELEMENTS = 1 << 25;

    private final TransformerConfig config;
    private final NDManager manager;
    private final BaseWeights base;
    private final DataType dtype;
    private int vocabChunkRows;

    private TransformerModel(TransformerConfig config, NDManager manager, BaseWeights base, DataType dtype) {
        this.config = config;
        this.manager = manager;
        this.base = base;
        this.dtype = dtype;
        this.vocabChunkRows = Math.max(1, VOCAB_CHUNK_ELEMENTS / config.nEmbd());
    }

    /**
     * Sets PyTorch's intra-op thread count (re-applied before every forward and training step, as other native code
     * in the process may change it). Note: in a JVM that has also run llama.cpp (java-llama.cpp 4.2.0), PyTorch
     * training was seen to give NaN gradients and run-to-run differences, even with 1 thread; train in a process of
     * its own.
     */
    public static void computeThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1: " + threads);
        }
        Engine.getEngine("PyTorch");
        computeThreads = threads;
        JniUtils.setNumThreads(threads);
    }

    /** 0 = PyTorch's default. */
    private static volatile int computeThreads;

    /** Re-applies the thread count on the calling thread before PyTorch work (other native code may change it). */
    static void enforceComputeThreads() {
        int n = computeThreads;
        if (n > 0) {
            JniUtils.setNumThreads(n);
        }
    }

    /** Loads a GGUF model for training: weights in 16 bits (float32 where the file has float32), computing in float32. */
    public static TransformerModel load(Path gguf) {
        return load(gguf, DataType.FLOAT32);
    }

    /** Loads a GGUF model computing in {@code dtype}: FLOAT32 for training, FLOAT64 (weights too) for gradient checks. */
    public static TransformerModel load(Path gguf, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
            throw new IllegalArgumentException("the trainer computes in FLOAT32 or FLOAT64, not " + dtype);
        }
        Engine.getEngine("PyTorch");
        try (GgufFile file = GgufReader.read(gguf)) {
            TransformerConfig config = TransformerConfig.from(file);
            NDManager manager = NDManager.newBaseManager("PyTorch");
            try {
                BaseWeights.Storage storage = dtype == DataType.FLOAT64 ? BaseWeights.Storage.FLOAT64
                        : BaseWeights.Storage.COMPACT;
                return new TransformerModel(config, manager, BaseWeights.load(file, config, manager, storage), dtype);
            } catch (RuntimeException | Error e) {
                manager.close();
                throw e;
            }
        }
    }

    public TransformerConfig config() {
        return config;
    }

    DataType dtype() {
        return dtype;
    }

    NDManager manager() {
        return manager;
    }

    /** Bytes the base weights occupy. */
    public long baseBytes() {
        return base.residentBytes();
    }

    /** Tests use small chunks to exercise the running log-sum-exp over several chunks. */
    void vocabChunkRows(int rows) {
        if (rows < 1) throw new IllegalArgumentException("rows must be positive");
        this.vocabChunkRows = rows;
    }

    // ------------------------------------------------------------------------------------------------ inference

    /**
     * Logits for every position, [tokens.length][vocab]. {@code lora} may be null (base model); {@code training}
     * applies LoRA dropout (with masks of step 0).
     */
    public float[][] forward(int[] tokens, LoraWeights lora, boolean training) {
        int[] all = new int[tokens.length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        Dropout dropout = training && lora != null ? new Dropout(lora.config().dropout(), lora.config().seed(), 0, 0)
                : Dropout.NONE;
        return logitsAt(tokens, lora == null ? null : LoraTensors.of(lora), all, dropout);
    }

    /** Logits only at {@code positions} (saves the vocabulary projection elsewhere), [positions.length][vocab]. */
    public float[][] logitsAt(int[] tokens, LoraWeights lora, int[] positions) {
        return logitsAt(tokens, lora == null ? null : LoraTensors.of(lora), positions, Dropout.NONE);
    }

    private float[][] logitsAt(int[] tokens, LoraTensors lora, int[] positions, Dropout dropout) {
        enforceComputeThreads();
        float[][] out = new float[positions.length][config.vocabSize()];
        try (NDManager m = manager.newSubManager()) {
            NDArray x = forwardLayers(m, List.of(tokens), List.of(tables(m, tokens.length)), lora, List.of(dropout),
                    null).get(0);
            NDArray hp = rows(rmsNorm(x, base.outputNorm(m, dtype)), positions);
            long vocab = base.vocabRows();
            for (long c0 = 0; c0 < vocab; c0 += vocabChunkRows) {
                long c1 = Math.min(vocab, c0 + vocabChunkRows);
                try (NDManager cm = m.newSubManager()) {
                    hp.tempAttach(cm);
                    NDArray w = base.outputRows(c0, c1, cm, dtype);
                    float[] flat = hp.matMul(w.transpose()).toType(DataType.FLOAT32, false).toFloatArray();
                    int width = (int) (c1 - c0);
                    for (int i = 0; i < positions.length; i++) {
                        System.arraycopy(flat, i * width, out[i], (int) c0, width);
                    }
                }
            }
        }
        return out;
    }

    /** The final-normed hidden state at {@code position} (what llama.cpp's last-token embedding returns). */
    public float[] hiddenAt(int[] tokens, LoraWeights lora, int position) {
        enforceComputeThreads();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = forwardLayers(m, List.of(tokens), List.of(tables(m, tokens.length)),
                    lora == null ? null : LoraTensors.of(lora), List.of(Dropout.NONE), null).get(0);
            return rows(rmsNorm(x, base.outputNorm(m, dtype)), new int[] {position}).toType(DataType.FLOAT32, false)
                    .toFloatArray();
        }
    }

    /** Per scored position: log-probability of the target token, and whether it is the greedy (first maximal) token. */
    public record TokenScores(double[] logProb, boolean[] top) {
    }

    /** A sequence to score: predict {@code tokens[p + 1]} at each position {@code p} of {@code positions}. */
    public record ScoreRequest(int[] tokens, int[] positions) {
    }

    /**
     * Scores several sequences in one pass over the layers (each layer is widened once for all of them).
     * Position p predicts token p + 1.
     */
    public List<TokenScores> score(List<ScoreRequest> requests, LoraWeights lora) {
        enforceComputeThreads();
        List<TokenScores> result = new ArrayList<>();
        if (requests.isEmpty()) return result;
        try (NDManager m = manager.newSubManager()) {
            List<int[]> tokens = requests.stream().map(ScoreRequest::tokens).toList();
            List<Dropout> none = requests.stream().map(r -> Dropout.NONE).toList();
            List<Tables> tables = tokens.stream().map(t -> tables(m, t.length)).toList();
            List<NDArray> xs = forwardLayers(m, tokens, tables, lora == null ? null : LoraTensors.of(lora), none, null);
            NDArray norm = base.outputNorm(m, dtype);
            List<NDArray> picked = new ArrayList<>();
            List<Long> targets = new ArrayList<>();
            for (int s = 0; s < requests.size(); s++) {
                int[] positions = requests.get(s).positions();
                if (positions.length == 0) continue;
                picked.add(rows(rmsNorm(xs.get(s), norm), positions));
                for (int p : positions) targets.add((long) requests.get(s).tokens()[p + 1]);
            }
            double[] logProb = new double[targets.size()];
            boolean[] top = new boolean[targets.size()];
            if (!targets.isEmpty()) {
                NDArray hp = picked.size() == 1 ? picked.get(0) : ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(picked));
                long[] t = targets.stream().mapToLong(Long::longValue).toArray();
                Head h = head(m, hp, t, null, true);
                for (int i = 0; i < t.length; i++) {
                    logProb[i] = h.targetLogit[i] - h.logSumExp[i];
                    top[i] = h.argmax[i] == t[i];
                }
            }
            int k = 0;
            for (ScoreRequest r : requests) {
                int n = r.positions().length;
                double[] lp = new double[n];
                boolean[] tp = new boolean[n];
                System.arraycopy(logProb, k, lp, 0, n);
                System.arraycopy(top, k, tp, 0, n);
                k += n;
                result.add(new TokenScores(lp, tp));
            }
        }
        return result;
    }

    // ------------------------------------------------------------------------------------------------ training

    /** Receives the gradient of one LoRA matrix: slot {@code slot}'s A ({@code isA}) or B. */
    interface GradientSink {
        void add(int slot, boolean isA, NDArray gradient);
    }

    /**
     * For each sequence of {@code batch}, its weighted cross-entropy {@code sum_i w_i · CE_i} (returned, unscaled),
     * and adds {@code scale ·} d(sum over the batch)/dθ of the LoRA matrices into {@code sink}. {@code dropouts} gives
     * each sequence its dropout masks. One forward pass without gradients, then one backward pass that recomputes a
     * layer at a time (see the class comment).
     */
    double[] lossAndGradients(List<TrainingSequence> batch, LoraTensors lora, List<Dropout> dropouts, double scale,
            GradientSink sink) {
        enforceComputeThreads();
        int n = batch.size();
        double[] losses = new double[n];
        try (NDManager m = manager.newSubManager()) {
            List<int[]> tokens = batch.stream().map(TrainingSequence::tokens).toList();
            List<List<NDArray>> inputs = new ArrayList<>();
            List<Tables> tables = tokens.stream().map(t -> tables(m, t.length)).toList();
            List<NDArray> last = forwardLayers(m, tokens, tables, lora, dropouts, inputs);

            // Head: gradient of the loss with respect to the last layer's output.
            NDArray[] grad = new NDArray[n];
            for (int s = 0; s < n; s++) {
                TrainingSequence seq = batch.get(s);
                int count = 0;
                for (int i = 1; i < seq.length(); i++) if (seq.weight(i) > 0) count++;
                int[] positions = new int[count];
                long[] targets = new long[count];
                double[] weights = new double[count];
                for (int i = 1, k = 0; i < seq.length(); i++) {
                    if (seq.weight(i) > 0) {
                        positions[k] = i - 1;
                        targets[k] = seq.token(i);
                        weights[k++] = seq.weight(i);
                    }
                }
                try (NDManager hm = m.newSubManager()) {
                    NDArray x = last.get(s).duplicate();
                    x.attach(hm);
                    x.setRequiresGradient(true);
                    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                        NDArray hp = rows(rmsNorm(x, base.outputNorm(hm, dtype)), positions);
                        double[] scaled = new double[count];
                        for (int k = 0; k < count; k++) scaled[k] = weights[k] * scale;
                        Head h = head(hm, hp.stopGradient(), targets, scaled, false);
                        double loss = 0;
                        for (int k = 0; k < count; k++) loss += weights[k] * (h.logSumExp[k] - h.targetLogit[k]);
                        losses[s] = loss;
                        collector.backward(hp.mul(h.gradient).sum());
                    }
                    grad[s] = keep(x.getGradient(), m);
                }
            }

            // Layers, last to first: recompute with gradients, back-propagate the output gradient.
            for (int layer = config.nLayer() - 1; layer >= 0; layer--) {
                try (NDManager lm = m.newSubManager()) {
                    BaseWeights.Layer w = base.layer(layer, lm, dtype);
                    LoraTensors.Layer l = lora == null ? null : lora.layer(layer, lm, dtype, true);
                    boolean anyAdapted = l != null && java.util.Arrays.stream(l.slot()).anyMatch(i -> i >= 0);
                    if (layer == 0 && !anyAdapted) continue; // nothing below to send a gradient to
                    for (int s = 0; s < n; s++) {
                        try (NDManager sm = lm.newSubManager()) {
                            NDArray x = inputs.get(s).get(layer).duplicate();
                            x.attach(sm);
                            if (layer > 0) x.setRequiresGradient(true);
                            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                                NDArray out = block(x, w, layer, l, dropouts.get(s), tables.get(s));
                                collector.backward(out.mul(grad[s]).sum());
                            }
                            if (layer > 0) {
                                NDArray g = keep(x.getGradient(), m);
                                grad[s].close();
                                grad[s] = g;
                            }
                        }
                    }
                    if (l != null) {
                        for (LoraTarget t : LoraTarget.values()) {
                            if (!l.adapts(t)) continue;
                            sink.add(l.slot()[t.ordinal()], true, l.a()[t.ordinal()].getGradient());
                            sink.add(l.slot()[t.ordinal()], false, l.b()[t.ordinal()].getGradient());
                        }
                    }
                }
            }
        }
        return losses;
    }

    private static NDArray keep(NDArray a, NDManager m) {
        NDArray copy = a.duplicate();
        copy.attach(m);
        return copy;
    }

    // ------------------------------------------------------------------------------------------------ the network

    /**
     * Runs every sequence through all layers, widening each layer once. Returns each sequence's output of the last
     * layer (attached to {@code m}); when {@code inputs} is given, it receives per sequence the input of every layer.
     */
    private List<NDArray> forwardLayers(NDManager m, List<int[]> tokens, List<Tables> tables, LoraTensors lora,
            List<Dropout> dropouts, List<List<NDArray>> inputs) {
        List<NDArray> xs = new ArrayList<>();
        for (int[] t : tokens) {
            for (int id : t) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token " + id + " is outside the vocabulary of "
                            + config.vocabSize());
                }
            }
            xs.add(base.embeddingRows(java.util.Arrays.stream(t).asLongStream().toArray(), m, dtype));
            if (inputs != null) inputs.add(new ArrayList<>());
        }
        for (int layer = 0; layer < config.nLayer(); layer++) {
            try (NDManager lm = m.newSubManager()) {
                BaseWeights.Layer w = base.layer(layer, lm, dtype);
                LoraTensors.Layer l = lora == null ? null : lora.layer(layer, lm, dtype, false);
                for (int s = 0; s < xs.size(); s++) {
                    NDArray x = xs.get(s);
                    NDArray out;
                    try (NDManager sm = lm.newSubManager()) {
                        x.tempAttach(sm);
                        out = block(x, w, layer, l, dropouts.get(s), tables.get(s));
                        out.attach(m);
                    }
                    if (inputs != null) {
                        inputs.get(s).add(x);
                    } else {
                        x.close();
                    }
                    xs.set(s, out);
                }
            }
        }
        return xs;
    }

    /** Rope tables and causal mask of a sequence length, in {@code m}. */
    private record Tables(NDArray cos, NDArray sin, NDArray mask, Rope rope) {
    }

    private Tables tables(NDManager m, int t) {
        Rope rope = new Rope(config, t);
        return new Tables(rope.cos(m, dtype), rope.sin(m, dtype), causalMask(m, t), rope);
    }

    /** One transformer block applied to x [T][nEmbd]; intermediates belong to x's manager. */
    private NDArray block(NDArray x, BaseWeights.Layer w, int layer, LoraTensors.Layer lora, Dropout dropout,
            Tables tables) {
        int t = (int) x.getShape().get(0);
        NDArray h = rmsNorm(x, w.attnNorm());
        NDArray q = project(h, LoraTarget.Q, w.wq(), w.bq(), lora, dropout);
        NDArray k = project(h, LoraTarget.K, w.wk(), w.bk(), lora, dropout);
        NDArray v = project(h, LoraTarget.V, w.wv(), w.bv(), lora, dropout);
        q = tables.rope().apply(q.reshape(t, config.nHead(), config.headDim()), tables.cos(), tables.sin());
        k = tables.rope().apply(k.reshape(t, config.nHeadKv(), config.headDim()), tables.cos(), tables.sin());
        v = v.reshape(t, config.nHeadKv(), config.headDim());
        NDArray attn = attention(q, k, v, tables.mask());
        x = x.add(project(attn, LoraTarget.O, w.wo(), null, lora, dropout));

        h = rmsNorm(x, w.ffnNorm());
        NDArray gate = project(h, LoraTarget.GATE, w.wGate(), null, lora, dropout);
        NDArray up = project(h, LoraTarget.UP, w.wUp(), null, lora, dropout);
        return x.add(project(silu(gate).mul(up), LoraTarget.DOWN, w.wDown(), null, lora, dropout));
    }

    /** x · wᵀ (+ bias) (+ LoRA); w is [out][in]. */
    private NDArray project(NDArray x, LoraTarget target, NDArray w, NDArray bias, LoraTensors.Layer lora,
            Dropout dropout) {
        NDArray y = x.matMul(w.transpose());
        if (bias != null) {
            y = y.add(bias);
        }
        if (lora == null || !lora.adapts(target)) {
            return y;
        }
        int slot = lora.slot()[target.ordinal()];
        NDArray in = x;
        if (dropout.active()) {
            int rows = (int) x.getShape().get(0);
            int cols = (int) x.getShape().get(1);
            in = x.mul(OwnedArrays.of(x.getManager(), dropout.mask(slot, rows, cols), new Shape(rows, cols)).toType(dtype, false));
        }
        NDArray delta = in.matMul(lora.a()[target.ordinal()].transpose()).matMul(lora.b()[target.ordinal()].transpose());
        return y.add(delta.mul(OwnedArrays.scalar(delta, lora.scale())));
    }

    /** x / sqrt(mean(x²) + eps) · w over the last axis. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(OwnedArrays.scalar(meanSquare, config.rmsEps())).sqrt()).mul(weight);
    }

    /** x · sigmoid(x); not x / (1 + e^-x), whose gradient is inf/inf = NaN for very negative x. */
    private static NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    /**
     * softmax(q kᵀ / sqrt(d) + causal mask) v per head; query head h reads key/value head h / (nHead / nHeadKv), as
     * ggml's broadcasting mul_mat does. q [T][H][d], k and v [T][Hkv][d] → [T][H·d].
     */
    private NDArray attention(NDArray q, NDArray k, NDArray v, NDArray mask) {
        long t = q.getShape().get(0);
        int group = config.nHead() / config.nHeadKv();
        NDArray qh = q.transpose(1, 0, 2).reshape(config.nHeadKv(), group, t, config.headDim());
        NDArray kh = k.transpose(1, 0, 2).expandDims(1);
        NDArray vh = v.transpose(1, 0, 2).expandDims(1);
        NDArray raw = qh.matMul(kh.transpose(0, 1, 3, 2));
        NDArray scores = raw.mul(OwnedArrays.scalar(raw, 1.0 / Math.sqrt(config.headDim()))).add(mask);
        NDArray out = scores.softmax(-1).matMul(vh); // [Hkv][group][T][d]
        return out.reshape(config.nHead(), t, config.headDim()).transpose(1, 0, 2).reshape(t, config.qDim());
    }

    private NDArray causalMask(NDManager m, int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return OwnedArrays.of(m, mask, new Shape(t, t)).toType(dtype, false);
    }

    /** Rows {@code positions} of x [T][E]: [positions.length][E] (differentiable). */
    private NDArray rows(NDArray x, int[] positions) {
        long[] rows = new long[positions.length];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = positions[i];
        }
        NDArray index = OwnedArrays.of(x.getManager(), rows, new Shape(rows.length, 1))
                .broadcast(new Shape(rows.length, x.getShape().get(1)));
        return x.gather(index, 0);
    }

    // ------------------------------------------------------------------------------------------------ the head

    /** Per row of the head's input: log-sum-exp of the logits, the target's logit, the greedy token, and dL/dh. */
    private record Head(double[] logSumExp, double[] targetLogit, long[] argmax, NDArray gradient) {
    }

    /**
     * The output layer over row chunks of the vocabulary for hidden rows {@code hp} [P][E] (no gradient recorded):
     * a running maximum and sum give the log-sum-exp; with {@code weights} it also accumulates
     * {@code dL/dh = sum_p w_p (softmax_p · W − W[target_p])}, the gradient of {@code sum_p w_p · CE_p}.
     */
    private Head head(NDManager m, NDArray hp, long[] targets, double[] weights, boolean wantArgmax) {
        int p = targets.length;
        long vocab = base.vocabRows();
        double[] max = new double[p];
        double[] sum = new double[p];
        long[] argmax = new long[p];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        NDArray acc = null;
        NDArray runningMax = null;
        for (long c0 = 0; c0 < vocab; c0 += vocabChunkRows) {
            long c1 = Math.min(vocab, c0 + vocabChunkRows);
            try (NDManager cm = m.newSubManager()) {
                hp.tempAttach(cm);
                NDArray w = base.outputRows(c0, c1, cm, dtype);
                NDArray logits = hp.matMul(w.transpose()); // [P][C]
                NDArray chunkMax = logits.max(new int[] {1});
                double[] cmax = chunkMax.toType(DataType.FLOAT64, false).toDoubleArray();
                if (wantArgmax) {
                    long[] carg = logits.argMax(1).toLongArray();
                    for (int i = 0; i < p; i++) {
                        if (cmax[i] > max[i]) argmax[i] = c0 + carg[i];
                    }
                }
                double[] newMax = new double[p];
                double[] alpha = new double[p];
                for (int i = 0; i < p; i++) {
                    newMax[i] = Math.max(max[i], cmax[i]);
                    alpha[i] = Math.exp(max[i] - newMax[i]); // 0 for the first chunk
                }
                NDArray shift = OwnedArrays.of(cm, newMax, new Shape(p, 1)).toType(dtype, false);
                NDArray e = logits.sub(shift).exp();
                double[] esum = e.sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
                for (int i = 0; i < p; i++) {
                    sum[i] = sum[i] * alpha[i] + esum[i];
                    max[i] = newMax[i];
                }
                if (weights != null) {
                    NDArray contribution = e.matMul(w); // [P][E]
                    NDArray a = OwnedArrays.of(cm, alpha, new Shape(p, 1)).toType(dtype, false);
                    NDArray next = acc == null ? contribution : acc.mul(a).add(contribution);
                    next.attach(m);
                    if (acc != null) acc.close();
                    acc = next;
                }
            }
        }
        double[] lse = new double[p];
        for (int i = 0; i < p; i++) lse[i] = max[i] + Math.log(sum[i]);
        NDArray targetRows = base.outputRowsAt(targets, m, dtype); // [P][E]
        double[] targetLogit = hp.mul(targetRows).sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
        NDArray gradient = null;
        if (weights != null) {
            double[] bySum = new double[p];
            for (int i = 0; i < p; i++) bySum[i] = weights[i] / sum[i];
            NDArray scaleSoftmax = OwnedArrays.of(m, bySum, new Shape(p, 1)).toType(dtype, false);
            NDArray w = OwnedArrays.of(m, weights, new Shape(p, 1)).toType(dtype, false);
            gradient = acc.mul(scaleSoftmax).sub(targetRows.mul(w));
        }
        return new Head(lse, targetLogit, argmax, gradient);
    }

    @Override
    public void close() {
        manager.close();
    }
}
