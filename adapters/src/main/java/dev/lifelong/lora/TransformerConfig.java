package dev.lifelong.lora;

import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import java.util.Arrays;
import java.util.Map;

/**
 * The shape of a decoder-only transformer, read from a GGUF file's metadata the way llama.cpp b4916 reads it.
 *
 * @param tiedOutput the file has no {@code output.weight}, so logits use {@code token_embd.weight}
 * @param qkvBias q, k and v projections have biases ({@code blk.N.attn_q.bias} ...)
 * @param ropeFreqFactors per rotary pair, the factor llama.cpp divides its frequency by ({@code rope_freqs.weight},
 *     Llama 3.1/3.2's long-context scaling); null when the model has none
 */
public record TransformerConfig(String architecture, int nLayer, int nEmbd, int nHead, int nHeadKv, int headDim,
        int nFf, int vocabSize, float rmsEps, float ropeTheta, RopeStyle ropeStyle, boolean tiedOutput,
        boolean qkvBias, float[] ropeFreqFactors) {

    /** Architectures the trainer implements, with their rope style and whether q/k/v carry biases. */
    private record ArchTraits(RopeStyle rope, boolean qkvBias) {
    }

    private static final Map<String, ArchTraits> SUPPORTED = Map.of(
            "llama", new ArchTraits(RopeStyle.NORM, false),
            "qwen2", new ArchTraits(RopeStyle.NEOX, true));

    public TransformerConfig {
        if (nHead % nHeadKv != 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("heads must group evenly and head size be even: " + nHead + "/"
                    + nHeadKv + ", headDim " + headDim);
        }
        if (ropeFreqFactors != null) {
            if (ropeFreqFactors.length != headDim / 2) {
                throw new IllegalArgumentException("rope frequency factors: " + ropeFreqFactors.length + " for "
                        + headDim / 2 + " rotary pairs");
            }
            ropeFreqFactors = ropeFreqFactors.clone();
        }
    }

    /** A model without rope frequency factors. */
    public TransformerConfig(String architecture, int nLayer, int nEmbd, int nHead, int nHeadKv, int headDim,
            int nFf, int vocabSize, float rmsEps, float ropeTheta, RopeStyle ropeStyle, boolean tiedOutput,
            boolean qkvBias) {
        this(architecture, nLayer, nEmbd, nHead, nHeadKv, headDim, nFf, vocabSize, rmsEps, ropeTheta, ropeStyle,
                tiedOutput, qkvBias, null);
    }

    public int kvDim() {
        return nHeadKv * headDim;
    }

    public int qDim() {
        return nHead * headDim;
    }

    @Override
    public float[] ropeFreqFactors() {
        return ropeFreqFactors == null ? null : ropeFreqFactors.clone();
    }

    /** The factor of rotary pair {@code i} (1 without factors). */
    float ropeFreqFactor(int i) {
        return ropeFreqFactors == null ? 1f : ropeFreqFactors[i];
    }

    /**
     * Reads the shape of a model the trainer can train exactly as llama.cpp serves it.
     *
     * @throws GgufFormatException naming the reason ({@link Trainability}) when it cannot
     */
    public static TransformerConfig from(GgufFile gguf) {
        Trainability t = Trainability.of(gguf);
        if (!t.trainable()) {
            throw new GgufFormatException(gguf.path() + ": this model chats but cannot be trained by Lifelong: "
                    + t.reason());
        }
        String arch = gguf.getString("general.architecture");
        ArchTraits traits = SUPPORTED.get(arch);
        int nEmbd = intKey(gguf, arch + ".embedding_length");
        int nHead = intKey(gguf, arch + ".attention.head_count");
        int nHeadKv = gguf.has(arch + ".attention.head_count_kv") ? intKey(gguf, arch + ".attention.head_count_kv")
                : nHead;
        int headDim = gguf.has(arch + ".attention.key_length") ? intKey(gguf, arch + ".attention.key_length")
                : nEmbd / nHead;
        int vocab = gguf.has(arch + ".vocab_size") ? intKey(gguf, arch + ".vocab_size")
                : gguf.getList("tokenizer.ggml.tokens").size();
        boolean tied = gguf.tensor("output.weight").isEmpty();
        float[] factors = gguf.tensor("rope_freqs.weight")
                .map(info -> Dequantizer.dequantize(gguf, info)).orElse(null);
        if (factors != null) {
            for (float f : factors) {
                if (!(f > 0) || Float.isInfinite(f)) {
                    throw new GgufFormatException(gguf.path() + ": 'rope_freqs.weight' holds " + f
                            + "; rope frequency factors must be positive");
                }
            }
        }
        return new TransformerConfig(arch, intKey(gguf, arch + ".block_count"), nEmbd, nHead, nHeadKv, headDim,
                intKey(gguf, arch + ".feed_forward_length"), vocab,
                gguf.getFloat(arch + ".attention.layer_norm_rms_epsilon"),
                gguf.findFloat(arch + ".rope.freq_base").orElse(10000f), traits.rope(), tied, traits.qkvBias(),
                factors);
    }

    private static int intKey(GgufFile gguf, String key) {
        return Math.toIntExact(gguf.getLong(key));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransformerConfig c && architecture.equals(c.architecture) && nLayer == c.nLayer
                && nEmbd == c.nEmbd && nHead == c.nHead && nHeadKv == c.nHeadKv && headDim == c.headDim
                && nFf == c.nFf && vocabSize == c.vocabSize && Float.compare(rmsEps, c.rmsEps) == 0
                && Float.compare(ropeTheta, c.ropeTheta) == 0 && ropeStyle == c.ropeStyle
                && tiedOutput == c.tiedOutput && qkvBias == c.qkvBias
                && Arrays.equals(ropeFreqFactors, c.ropeFreqFactors);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** Stable across runs (checkpoint fingerprints hash it), factors included by value. */
    @Override
    public String toString() {
        return "TransformerConfig[architecture=" + architecture + ", nLayer=" + nLayer + ", nEmbd=" + nEmbd
                + ", nHead=" + nHead + ", nHeadKv=" + nHeadKv + ", headDim=" + headDim + ", nFf=" + nFf
                + ", vocabSize=" + vocabSize + ", rmsEps=" + rmsEps + ", ropeTheta=" + ropeTheta + ", ropeStyle="
                + ropeStyle + ", tiedOutput=" + tiedOutput + ", qkvBias=" + qkvBias
                + (ropeFreqFactors == null ? "" : ", ropeFreqFactors=" + Arrays.toString(ropeFreqFactors)) + "]";
    }
}
