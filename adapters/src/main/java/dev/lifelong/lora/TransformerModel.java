package dev.lifelong.lora;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import java.nio.file.Path;

/**
 * A llama-family decoder (llama, qwen2) computed eagerly with DJL/PyTorch, the way llama.cpp b4916 computes it:
 * embedding; per block RMSNorm → q, k, v (+ bias) → RoPE → grouped-query causal attention → o → residual, RMSNorm →
 * SwiGLU → down → residual; final RMSNorm; output projection. LoRA adds {@code (alpha/r) · B A dropout(x)} to
 * adapted projections. The base weights are frozen; only LoRA tensors ever record gradients.
 */
public final class TransformerModel implements AutoCloseable {
    private final TransformerConfig config;
    private final NDManager manager;
    private final BaseWeights base;
    private final DataType dtype;

    private TransformerModel(TransformerConfig config, NDManager manager, BaseWeights base, DataType dtype) {
        this.config = config;
        this.manager = manager;
        this.base = base;
        this.dtype = dtype;
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

    /** Loads a GGUF model for training in float32. */
    public static TransformerModel load(Path gguf) {
        return load(gguf, DataType.FLOAT32);
    }

    /** Loads a GGUF model computing in {@code dtype}: FLOAT32 for training, FLOAT64 for gradient checks. */
    public static TransformerModel load(Path gguf, DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT64) {
            throw new IllegalArgumentException("the trainer computes in FLOAT32 or FLOAT64, not " + dtype);
        }
        try (GgufFile file = GgufReader.read(gguf)) {
            TransformerConfig config = TransformerConfig.from(file);
            NDManager manager = NDManager.newBaseManager("PyTorch");
            try {
                return new TransformerModel(config, manager, BaseWeights.load(file, config, manager, dtype), dtype);
            } catch (RuntimeException e) {
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
        return logitsAt(tokens, lora, all, dropout);
    }

    /** Logits only at {@code positions} (saves the vocabulary projection elsewhere), [positions.length][vocab]. */
    public float[][] logitsAt(int[] tokens, LoraWeights lora, int[] positions) {
        return logitsAt(tokens, lora, positions, Dropout.NONE);
    }

    private float[][] logitsAt(int[] tokens, LoraWeights lora, int[] positions, Dropout dropout) {
        enforceComputeThreads();
        try (NDManager m = manager.newSubManager()) {
            LoraTensors l = lora == null ? null : LoraTensors.create(lora, m, dtype, false);
            NDArray logits = logits(hidden(m, tokens, l, dropout), positions).toType(DataType.FLOAT32, false);
            float[] flat = logits.toFloatArray();
            float[][] out = new float[positions.length][config.vocabSize()];
            for (int i = 0; i < positions.length; i++) {
                System.arraycopy(flat, i * config.vocabSize(), out[i], 0, config.vocabSize());
            }
            return out;
        }
    }

    /**
     * {@code sum_i w_i · CE_i}: cross-entropy of predicting each weighted token from its prefix, unnormalised, as a
     * scalar in {@code m}. Logits are computed only where a weight is positive.
     */
    NDArray weightedLoss(NDManager m, TrainingSequence seq, LoraTensors lora, Dropout dropout) {
        int n = 0;
        for (int i = 1; i < seq.length(); i++) {
            if (seq.weight(i) > 0) {
                n++;
            }
        }
        int[] positions = new int[n];
        long[] targets = new long[n];
        float[] weights = new float[n];
        for (int i = 1, k = 0; i < seq.length(); i++) {
            if (seq.weight(i) > 0) {
                positions[k] = i - 1;
                targets[k] = seq.token(i);
                weights[k++] = seq.weight(i);
            }
        }
        NDArray logits = logits(hidden(m, seq.tokens(), lora, dropout), positions);
        NDArray logProbs = logits.logSoftmax(1);
        NDArray picked = logProbs.gather(m.create(targets, new Shape(n, 1)), 1).reshape(n);
        return picked.mul(m.create(weights).toType(dtype, false)).sum().neg();
    }

    /** Final-normed hidden states [T][nEmbd]. */
    NDArray hidden(NDManager m, int[] tokens, LoraTensors lora, Dropout dropout) {
        int t = tokens.length;
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) {
            if (tokens[i] < 0 || tokens[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("token " + tokens[i] + " is outside the vocabulary of "
                        + config.vocabSize());
            }
            ids[i] = tokens[i];
        }
        NDArray index = m.create(ids, new Shape(t, 1)).broadcast(new Shape(t, config.nEmbd()));
        NDArray x = base.tokenEmbedding().gather(index, 0);
        x.attach(m);
        Rope rope = new Rope(config, t);
        NDArray cos = rope.cos(m, dtype);
        NDArray sin = rope.sin(m, dtype);
        NDArray mask = causalMask(m, t);
        for (int layer = 0; layer < config.nLayer(); layer++) {
            BaseWeights.Layer w = base.layers().get(layer);
            Projection p = new Projection(m, layer, lora, dropout);

            NDArray h = rmsNorm(x, w.attnNorm());
            NDArray q = p.apply(h, LoraTarget.Q, w.wq(), w.bq());
            NDArray k = p.apply(h, LoraTarget.K, w.wk(), w.bk());
            NDArray v = p.apply(h, LoraTarget.V, w.wv(), w.bv());
            q = rope.apply(q.reshape(t, config.nHead(), config.headDim()), cos, sin);
            k = rope.apply(k.reshape(t, config.nHeadKv(), config.headDim()), cos, sin);
            v = v.reshape(t, config.nHeadKv(), config.headDim());
            NDArray attn = attention(q, k, v, mask);
            x = x.add(p.apply(attn, LoraTarget.O, w.wo(), null));

            h = rmsNorm(x, w.ffnNorm());
            NDArray gate = p.apply(h, LoraTarget.GATE, w.wGate(), null);
            NDArray up = p.apply(h, LoraTarget.UP, w.wUp(), null);
            x = x.add(p.apply(silu(gate).mul(up), LoraTarget.DOWN, w.wDown(), null));
        }
        return rmsNorm(x, base.outputNorm());
    }

    /** Rows {@code positions} of {@code hidden} through the output projection: [positions.length][vocab]. */
    NDArray logits(NDArray hidden, int[] positions) {
        NDManager m = hidden.getManager();
        long[] rows = new long[positions.length];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = positions[i];
        }
        NDArray index = m.create(rows, new Shape(rows.length, 1)).broadcast(new Shape(rows.length, config.nEmbd()));
        return hidden.gather(index, 0).matMul(base.output());
    }

    /** x / sqrt(mean(x²) + eps) · w over the last axis. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(config.rmsEps()).sqrt()).mul(weight);
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
        NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(config.headDim())).add(mask);
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
        return m.create(mask, new Shape(t, t)).toType(dtype, false);
    }

    /** x · w (+ bias) (+ LoRA) for the projections of one layer. */
    private final class Projection {
        private final NDManager m;
        private final int layer;
        private final LoraTensors lora;
        private final Dropout dropout;

        Projection(NDManager m, int layer, LoraTensors lora, Dropout dropout) {
            this.m = m;
            this.layer = layer;
            this.lora = lora;
            this.dropout = dropout;
        }

        NDArray apply(NDArray x, LoraTarget target, NDArray w, NDArray bias) {
            NDArray y = x.matMul(w);
            if (bias != null) {
                y = y.add(bias);
            }
            int slot = lora == null ? -1 : lora.weights.indexOf(layer, target);
            if (slot < 0) {
                return y;
            }
            NDArray in = x;
            if (dropout.active()) {
                int rows = (int) x.getShape().get(0);
                int cols = (int) x.getShape().get(1);
                in = x.mul(m.create(dropout.mask(slot, rows, cols), new Shape(rows, cols)).toType(dtype, false));
            }
            NDArray delta = in.matMul(lora.a[slot].transpose()).matMul(lora.b[slot].transpose());
            return y.add(delta.mul(lora.weights.config().scale()));
        }
    }

    @Override
    public void close() {
        manager.close();
    }

}
