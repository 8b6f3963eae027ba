package dev.lifelong.lora;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import java.util.Map;

/**
 * The shape of a decoder-only transformer, read from a GGUF file's metadata the way llama.cpp b4916 reads it.
 *
 * @param tiedOutput the file has no {@code output.weight}, so logits use {@code token_embd.weight}
 * @param qkvBias q, k and v projections have biases ({@code blk.N.attn_q.bias} ...)
 */
public record TransformerConfig(String architecture, int nLayer, int nEmbd, int nHead, int nHeadKv, int headDim,
        int nFf, int vocabSize, float rmsEps, float ropeTheta, RopeStyle ropeStyle, boolean tiedOutput,
        boolean qkvBias) {

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
    }

    public int kvDim() {
        return nHeadKv * headDim;
    }

    public int qDim() {
        return nHead * headDim;
    }

    public static TransformerConfig from(GgufFile gguf) {
        String arch = gguf.getString("general.architecture");
        ArchTraits traits = SUPPORTED.get(arch);
        if (traits == null) {
            throw new GgufFormatException(gguf.path() + ": architecture '" + arch + "' is not supported by the LoRA "
                    + "trainer; supported: " + SUPPORTED.keySet());
        }
        int nEmbd = intKey(gguf, arch + ".embedding_length");
        int nHead = intKey(gguf, arch + ".attention.head_count");
        int nHeadKv = gguf.has(arch + ".attention.head_count_kv") ? intKey(gguf, arch + ".attention.head_count_kv")
                : nHead;
        int headDim = gguf.has(arch + ".attention.key_length") ? intKey(gguf, arch + ".attention.key_length")
                : nEmbd / nHead;
        int ropeDims = gguf.has(arch + ".rope.dimension_count") ? intKey(gguf, arch + ".rope.dimension_count")
                : headDim;
        if (ropeDims != headDim) {
            throw new GgufFormatException(gguf.path() + ": partial rotary embedding (" + ropeDims + " of " + headDim
                    + " dimensions) is not supported by the LoRA trainer");
        }
        if (gguf.has(arch + ".rope.scaling.type") && !gguf.getString(arch + ".rope.scaling.type").equals("none")) {
            throw new GgufFormatException(gguf.path() + ": rope scaling '" + gguf.getString(arch
                    + ".rope.scaling.type") + "' is not supported by the LoRA trainer");
        }
        int vocab = gguf.has(arch + ".vocab_size") ? intKey(gguf, arch + ".vocab_size")
                : gguf.getList("tokenizer.ggml.tokens").size();
        boolean tied = gguf.tensor("output.weight").isEmpty();
        return new TransformerConfig(arch, intKey(gguf, arch + ".block_count"), nEmbd, nHead, nHeadKv, headDim,
                intKey(gguf, arch + ".feed_forward_length"), vocab,
                gguf.getFloat(arch + ".attention.layer_norm_rms_epsilon"),
                gguf.findFloat(arch + ".rope.freq_base").orElse(10000f), traits.rope(), tied, traits.qkvBias());
    }

    private static int intKey(GgufFile gguf, String key) {
        return Math.toIntExact(gguf.getLong(key));
    }
}
