package dev.lifelong.seedling.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import dev.lifelong.lora.OwnedArrays;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * All weights of a llama-architecture model, every one trainable, as plain float arrays in llama.cpp's tensor names
 * and PyTorch's row-major layout ([out][in] for projections, [vocab][nEmbd] for embeddings), plus the forward pass
 * computed with DJL/PyTorch exactly as llama.cpp b4916 computes llama: embedding; per block RMSNorm → q, k, v → RoPE
 * (NORM style: adjacent pairs) → grouped-query causal attention → o → residual, RMSNorm → SwiGLU → down → residual;
 * final RMSNorm; output projection (the embedding when tied).
 *
 * <p>Batches are right-padded: with a causal mask a real position never sees a later (padding) one, so padding needs
 * no mask of its own and carries loss weight 0. Sequences are not packed, so attention never crosses conversations.
 */
public final class FullModel {
    /** One weight tensor: its GGUF name and row-major shape ({@code [n]} or {@code [rows][cols]}). */
    public record Tensor(String name, int[] shape) {
        public int size() {
            int n = 1;
            for (int s : shape) {
                n *= s;
            }
            return n;
        }

        /** Matrices get weight decay, norm vectors do not. */
        public boolean isMatrix() {
            return shape.length == 2;
        }
    }

    private final SeedlingModelConfig config;
    private final List<Tensor> tensors;
    private final Map<String, float[]> values;

    private FullModel(SeedlingModelConfig config, List<Tensor> tensors, Map<String, float[]> values) {
        this.config = config;
        this.tensors = tensors;
        this.values = values;
    }

    /** The tensors of {@code c}, in GGUF order. */
    public static List<Tensor> layout(SeedlingModelConfig c) {
        List<Tensor> t = new ArrayList<>();
        int e = c.nEmbd();
        t.add(new Tensor("token_embd.weight", new int[] {c.vocabSize(), e}));
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "blk." + i + ".";
            t.add(new Tensor(p + "attn_norm.weight", new int[] {e}));
            t.add(new Tensor(p + "attn_q.weight", new int[] {e, e}));
            t.add(new Tensor(p + "attn_k.weight", new int[] {c.kvDim(), e}));
            t.add(new Tensor(p + "attn_v.weight", new int[] {c.kvDim(), e}));
            t.add(new Tensor(p + "attn_output.weight", new int[] {e, e}));
            t.add(new Tensor(p + "ffn_norm.weight", new int[] {e}));
            t.add(new Tensor(p + "ffn_gate.weight", new int[] {c.nFf(), e}));
            t.add(new Tensor(p + "ffn_up.weight", new int[] {c.nFf(), e}));
            t.add(new Tensor(p + "ffn_down.weight", new int[] {e, c.nFf()}));
        }
        t.add(new Tensor("output_norm.weight", new int[] {e}));
        if (!c.tiedEmbeddings()) {
            t.add(new Tensor("output.weight", new int[] {c.vocabSize(), e}));
        }
        return Collections.unmodifiableList(t);
    }

    /**
     * Fresh weights from {@code seed}: matrices normal(0, 0.02), the residual projections (attn_output, ffn_down)
     * scaled by 1/sqrt(2 · nLayer), norms 1. Each tensor's values depend only on (seed, its name).
     */
    public static FullModel initialize(SeedlingModelConfig c, long seed) {
        double residualScale = 1 / Math.sqrt(2.0 * c.nLayer());
        Map<String, float[]> v = new LinkedHashMap<>();
        for (Tensor t : layout(c)) {
            float[] a = new float[t.size()];
            if (!t.isMatrix()) {
                java.util.Arrays.fill(a, 1f);
            } else {
                double std = 0.02;
                if (t.name().endsWith("attn_output.weight") || t.name().endsWith("ffn_down.weight")) {
                    std *= residualScale;
                }
                SplittableRandom r = new SplittableRandom(mix(seed, t.name().hashCode()));
                for (int i = 0; i < a.length; i += 2) { // Box–Muller with StrictMath: the same bits however JIT-compiled
                    double radius = StrictMath.sqrt(-2 * StrictMath.log(1 - r.nextDouble()));
                    double angle = 2 * StrictMath.PI * r.nextDouble();
                    a[i] = (float) (radius * StrictMath.cos(angle) * std);
                    if (i + 1 < a.length) {
                        a[i + 1] = (float) (radius * StrictMath.sin(angle) * std);
                    }
                }
            }
            v.put(t.name(), a);
        }
        return new FullModel(c, layout(c), v);
    }

    /** Weights given by the caller (e.g. from a checkpoint), copied; every tensor of the layout must be present. */
    public static FullModel of(SeedlingModelConfig c, Map<String, float[]> weights) {
        Map<String, float[]> v = new LinkedHashMap<>();
        for (Tensor t : layout(c)) {
            float[] a = weights.get(t.name());
            if (a == null || a.length != t.size()) {
                throw new IllegalArgumentException("tensor " + t.name() + " is missing or has the wrong size");
            }
            v.put(t.name(), a.clone());
        }
        return new FullModel(c, layout(c), v);
    }

    /**
     * Reads a llama GGUF (as {@link GgufModelExport} writes it; any weight type {@code Dequantizer} knows) back as a
     * trainable model, e.g. to evaluate or continue training a shipped seedling.
     */
    public static FullModel load(java.nio.file.Path gguf) {
        try (dev.lifelong.gguf.GgufFile f = dev.lifelong.gguf.GgufReader.read(gguf)) {
            String a = f.getString("general.architecture");
            if (!a.equals("llama")) {
                throw new IllegalArgumentException(gguf + ": architecture '" + a + "' is not llama");
            }
            SeedlingModelConfig c = new SeedlingModelConfig(f.getList("tokenizer.ggml.tokens").size(),
                    (int) f.getLong(a + ".block_count"), (int) f.getLong(a + ".embedding_length"),
                    (int) f.getLong(a + ".attention.head_count"), (int) f.getLong(a + ".attention.head_count_kv"),
                    (int) f.getLong(a + ".feed_forward_length"), (int) f.getLong(a + ".context_length"),
                    f.findFloat(a + ".rope.freq_base").orElse(10000f),
                    f.getFloat(a + ".attention.layer_norm_rms_epsilon"), f.tensor("output.weight").isEmpty());
            Map<String, float[]> w = new LinkedHashMap<>();
            for (Tensor t : layout(c)) {
                dev.lifelong.gguf.TensorInfo info = f.tensor(t.name()).orElseThrow(() ->
                        new IllegalArgumentException(gguf + ": tensor " + t.name() + " is missing"));
                w.put(t.name(), dev.lifelong.gguf.Dequantizer.dequantize(f, info));
            }
            return of(c, w);
        }
    }

    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public SeedlingModelConfig config() {
        return config;
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    /** The live values of a tensor (row-major). */
    public float[] values(String name) {
        float[] a = values.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no tensor " + name);
        }
        return a;
    }

    /** Sets PyTorch's intra-op threads (0 keeps PyTorch's default). */
    public static void computeThreads(int threads) {
        Engine.getEngine("PyTorch");
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
    }

    /** The weights as NDArrays in {@code m} of {@code dtype}, optionally recording gradients. */
    public Map<String, NDArray> arrays(NDManager m, DataType dtype, boolean requiresGradient) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            long[] shape = new long[t.shape().length];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.shape()[i];
            }
            NDArray a = m.create(values.get(t.name()), new Shape(shape));
            if (dtype != DataType.FLOAT32) {
                a = a.toType(dtype, false);
            }
            if (requiresGradient) {
                a.setRequiresGradient(true);
            }
            out.put(t.name(), a);
        }
        return out;
    }

    /** Logits [tokens.length][vocab] of one sequence, float32. */
    public float[][] logits(int[] tokens) {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> w = arrays(m, DataType.FLOAT32, false);
            NDArray h = hidden(config, w, m, new int[][] {tokens}).reshape(tokens.length, config.nEmbd());
            float[] flat = h.matMul(outputWeight(config, w).transpose()).toFloatArray();
            float[][] out = new float[tokens.length][config.vocabSize()];
            for (int i = 0; i < tokens.length; i++) {
                System.arraycopy(flat, i * config.vocabSize(), out[i], 0, config.vocabSize());
            }
            return out;
        }
    }

    /** Greedy continuation of {@code prompt} by {@code n} tokens (full recomputation each token; for tests). */
    public int[] greedy(int[] prompt, int n) {
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + n);
        for (int k = 0; k < n; k++) {
            int len = prompt.length + k;
            float[][] l = logits(java.util.Arrays.copyOf(seq, len));
            float[] last = l[len - 1];
            int best = 0;
            for (int i = 1; i < last.length; i++) {
                if (last[i] > last[best]) {
                    best = i;
                }
            }
            seq[len] = best;
        }
        return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    static NDArray outputWeight(SeedlingModelConfig c, Map<String, NDArray> w) {
        return w.get(c.tiedEmbeddings() ? "token_embd.weight" : "output.weight");
    }

    /**
     * {@code sum_i w_i · CE_i} over a batch: tokens[b][i] predicted from tokens[b][0..i) with weight
     * weights[b][i] (position 0 has no prefix and is ignored). Rows may differ in length; they are right-padded.
     * Logits are computed only where a weight is positive.
     */
    public static NDArray weightedLoss(SeedlingModelConfig c, Map<String, NDArray> w, NDManager m, int[][] tokens,
            float[][] weights) {
        int b = tokens.length;
        int t = 0;
        for (int[] row : tokens) {
            t = Math.max(t, row.length);
        }
        int[][] padded = new int[b][];
        int n = 0;
        for (int r = 0; r < b; r++) {
            padded[r] = java.util.Arrays.copyOf(tokens[r], t);
            for (int i = 1; i < tokens[r].length; i++) {
                if (weights[r][i] > 0) {
                    n++;
                }
            }
        }
        long[] rows = new long[n];
        long[] targets = new long[n];
        float[] ws = new float[n];
        int k = 0;
        for (int r = 0; r < b; r++) {
            for (int i = 1; i < tokens[r].length; i++) {
                if (weights[r][i] > 0) {
                    rows[k] = (long) r * t + i - 1;
                    targets[k] = tokens[r][i];
                    ws[k++] = weights[r][i];
                }
            }
        }
        DataType dtype = w.get("token_embd.weight").getDataType();
        NDArray h = hidden(c, w, m, padded).reshape((long) b * t, c.nEmbd());
        NDArray index = m.create(rows, new Shape(n, 1)).broadcast(new Shape(n, c.nEmbd()));
        NDArray logits = h.gather(index, 0).matMul(outputWeight(c, w).transpose());
        NDArray picked = logits.logSoftmax(1).gather(m.create(targets, new Shape(n, 1)), 1).reshape(n);
        return picked.mul(m.create(ws).toType(dtype, false)).sum().neg();
    }

    /** Final-normed hidden states [B][T][nEmbd] of equally long rows. */
    static NDArray hidden(SeedlingModelConfig c, Map<String, NDArray> w, NDManager m, int[][] tokens) {
        int b = tokens.length;
        int t = tokens[0].length;
        long[] ids = new long[b * t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int id = tokens[r][i];
                if (id < 0 || id >= c.vocabSize()) {
                    throw new IllegalArgumentException("token " + id + " is outside the vocabulary of "
                            + c.vocabSize());
                }
                ids[r * t + i] = id;
            }
        }
        DataType dtype = w.get("token_embd.weight").getDataType();
        NDArray index = m.create(ids, new Shape((long) b * t, 1)).broadcast(new Shape((long) b * t, c.nEmbd()));
        NDArray x = w.get("token_embd.weight").gather(index, 0).reshape(b, t, c.nEmbd());
        NDArray[] rope = ropeTables(c, m, t, dtype);
        NDArray mask = causalMask(m, t, dtype);
        int d = c.headDim();
        for (int layer = 0; layer < c.nLayer(); layer++) {
            String p = "blk." + layer + ".";
            NDArray h = rmsNorm(c, x, w.get(p + "attn_norm.weight"));
            NDArray q = rope(h.matMul(w.get(p + "attn_q.weight").transpose()).reshape(b, t, c.nHead(), d), rope);
            NDArray k = rope(h.matMul(w.get(p + "attn_k.weight").transpose()).reshape(b, t, c.nHeadKv(), d), rope);
            NDArray v = h.matMul(w.get(p + "attn_v.weight").transpose()).reshape(b, t, c.nHeadKv(), d);
            NDArray attn = attention(c, q, k, v, mask);
            x = x.add(attn.matMul(w.get(p + "attn_output.weight").transpose()));

            h = rmsNorm(c, x, w.get(p + "ffn_norm.weight"));
            NDArray gate = h.matMul(w.get(p + "ffn_gate.weight").transpose());
            NDArray up = h.matMul(w.get(p + "ffn_up.weight").transpose());
            x = x.add(gate.mul(Activation.sigmoid(gate)).mul(up).matMul(w.get(p + "ffn_down.weight").transpose()));
        }
        return rmsNorm(c, x, w.get("output_norm.weight"));
    }

    private static NDArray rmsNorm(SeedlingModelConfig c, NDArray x, NDArray weight) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.add(OwnedArrays.scalar(meanSquare, c.rmsEps())).sqrt()).mul(weight);
    }

    /** cos and sin [T][1][d/2]: pair i at position p turns by p · theta^(-2i/d). */
    private static NDArray[] ropeTables(SeedlingModelConfig c, NDManager m, int t, DataType dtype) {
        int half = c.headDim() / 2;
        double[] cos = new double[t * half];
        double[] sin = new double[t * half];
        for (int p = 0; p < t; p++) {
            for (int i = 0; i < half; i++) {
                // StrictMath: Math's intrinsics may differ by an ulp from the interpreter, so results would depend on
                // when the JIT compiled this loop.
                double angle = p * StrictMath.pow(c.ropeTheta(), -2.0 * i / c.headDim());
                cos[p * half + i] = StrictMath.cos(angle);
                sin[p * half + i] = StrictMath.sin(angle);
            }
        }
        return new NDArray[] {m.create(cos, new Shape(t, 1, half)).toType(dtype, false),
                m.create(sin, new Shape(t, 1, half)).toType(dtype, false)};
    }

    /** NORM rope (llama): adjacent dimensions (2i, 2i+1) form pair i. x [B][T][H][d]. */
    private static NDArray rope(NDArray x, NDArray[] table) {
        Shape s = x.getShape();
        long d = s.get(3);
        NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), d / 2, 2);
        NDArray x0 = pairs.get(":, :, :, :, 0");
        NDArray x1 = pairs.get(":, :, :, :, 1");
        NDArray r0 = x0.mul(table[0]).sub(x1.mul(table[1]));
        NDArray r1 = x0.mul(table[1]).add(x1.mul(table[0]));
        return r0.stack(r1, 4).reshape(s);
    }

    /**
     * softmax(q kᵀ / sqrt(d) + causal mask) v per head; query head h reads key/value head h / (nHead / nHeadKv), as
     * ggml's broadcasting mul_mat does. q [B][T][H][d], k and v [B][T][Hkv][d] → [B][T][H·d].
     */
    private static NDArray attention(SeedlingModelConfig c, NDArray q, NDArray k, NDArray v, NDArray mask) {
        long b = q.getShape().get(0);
        long t = q.getShape().get(1);
        int group = c.nHead() / c.nHeadKv();
        int d = c.headDim();
        NDArray qh = q.transpose(0, 2, 1, 3).reshape(b, c.nHeadKv(), group, t, d);
        NDArray kh = k.transpose(0, 2, 1, 3).expandDims(2);
        NDArray vh = v.transpose(0, 2, 1, 3).expandDims(2);
        NDArray raw = qh.matMul(kh.transpose(0, 1, 2, 4, 3));
        NDArray scores = raw.mul(OwnedArrays.scalar(raw, 1.0 / Math.sqrt(d))).add(mask);
        NDArray out = scores.softmax(-1).matMul(vh); // [B][Hkv][group][T][d]
        return out.reshape(b, c.nHead(), t, d).transpose(0, 2, 1, 3).reshape(b, t, (long) c.nHead() * d);
    }

    private static NDArray causalMask(NDManager m, int t, DataType dtype) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return m.create(mask, new Shape(t, t)).toType(dtype, false);
    }
}
