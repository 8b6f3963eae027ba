package dev.lifelong.lora;

import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.TensorInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether Lifelong's LoRA trainer computes exactly the forward pass llama.cpp b4916 serves for a model file, and if
 * not, why. The trainer must never train against a different function than the one users chat with, so this is a
 * whitelist: an architecture the trainer implements, every metadata key under {@code <arch>.} one the trainer models
 * (with a value it models), every tensor one it reads, every tensor type one it can decode. Anything else — rope
 * scaling, sliding windows, soft-capping, embedding scales, partial rotary, experts, extra norms — makes the model
 * "chats, but cannot be trained by Lifelong", with the reason in words.
 */
public record Trainability(boolean trainable, String reason) {

    public static final Trainability YES = new Trainability(true, null);

    /** Architectures the trainer implements (decision 007; llama.cpp's build_llama / build_qwen2 in b4916). */
    public static final Set<String> ARCHITECTURES = Set.of("llama", "qwen2");

    /**
     * Keys under {@code <arch>.} that llama.cpp reads for llama and qwen2 and the trainer models, or that do not
     * change the forward pass (context length, the original context of a scaling that is off).
     */
    private static final Set<String> MODELLED_KEYS = Set.of("context_length", "embedding_length", "block_count",
            "feed_forward_length", "attention.head_count", "attention.head_count_kv",
            "attention.layer_norm_rms_epsilon", "rope.freq_base", "rope.dimension_count", "attention.key_length",
            "attention.value_length", "vocab_size", "expert_count", "expert_used_count", "rope.scaling.type",
            "rope.scaling.factor", "rope.scale_linear", "rope.scaling.original_context_length",
            "rope.scaling.finetuned", "attention.causal");

    private static final Pattern LAYER_TENSOR = Pattern.compile("blk\\.(\\d+)\\.(.+)");
    private static final Set<String> LAYER_TENSORS = Set.of("attn_norm.weight", "attn_q.weight", "attn_k.weight",
            "attn_v.weight", "attn_output.weight", "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
            "ffn_down.weight");
    private static final Set<String> QKV_BIASES = Set.of("attn_q.bias", "attn_k.bias", "attn_v.bias");

    public static Trainability no(String reason) {
        return new Trainability(false, reason);
    }

    /** The user-facing sentence, e.g. "chats; cannot be trained by Lifelong: rope scaling 'yarn'". */
    public String summary() {
        return trainable ? "chats and trains" : "chats; cannot be trained by Lifelong: " + reason;
    }

    /** Checks a model file; never throws for a readable GGUF. */
    public static Trainability of(GgufFile gguf) {
        try {
            return check(gguf);
        } catch (dev.lifelong.gguf.GgufFormatException e) {
            return no("its metadata cannot be read as the trainer needs it (" + e.getMessage() + ")");
        }
    }

    private static Trainability check(GgufFile gguf) {
        Object archValue = gguf.metadata().get("general.architecture");
        if (!(archValue instanceof String arch)) {
            return no("the file does not name its architecture");
        }
        if (!ARCHITECTURES.contains(arch)) {
            return no("the '" + arch + "' architecture is not implemented by the trainer (it trains llama and qwen2 "
                    + "models: Llama, SmolLM, TinyLlama, Mistral, Qwen2/2.5)");
        }
        List<String> problems = new ArrayList<>();
        String prefix = arch + ".";
        for (Map.Entry<String, Object> e : gguf.metadata().entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(prefix)) continue;
            String rest = key.substring(prefix.length());
            if (!MODELLED_KEYS.contains(rest)) {
                problems.add("metadata '" + key + "' changes how llama.cpp may compute this model and the trainer "
                        + "does not model it");
            } else if (e.getValue() instanceof List<?>) {
                problems.add("'" + key + "' varies by layer");
            }
        }
        if (!problems.isEmpty()) return no(problems.get(0));

        Optional<String> scalingType = gguf.findString(prefix + "rope.scaling.type");
        float factor = gguf.findFloat(prefix + "rope.scaling.factor")
                .or(() -> gguf.findFloat(prefix + "rope.scale_linear")).orElse(0f);
        // llama.cpp b4916 applies the factor (as 1/factor) whenever it is set, whatever the type says.
        if (factor != 0f && factor != 1f) {
            return no("rope scaling ('" + scalingType.orElse("linear") + "', factor " + factor + ")");
        }
        if (scalingType.isPresent() && !scalingType.get().equals("none") && !scalingType.get().equals("linear")) {
            return no("rope scaling '" + scalingType.get() + "'");
        }
        if (gguf.findLong(prefix + "expert_count").orElse(0L) > 0) {
            return no("mixture-of-experts layers (" + gguf.findLong(prefix + "expert_count").orElse(0L) + " experts)");
        }
        if (gguf.findBoolean(prefix + "attention.causal").map(c -> !c).orElse(false)) {
            return no("non-causal attention");
        }
        long nEmbd = gguf.findLong(prefix + "embedding_length").orElse(0L);
        long nHead = gguf.findLong(prefix + "attention.head_count").orElse(0L);
        if (nEmbd <= 0 || nHead <= 0 || nEmbd % nHead != 0 && !gguf.has(prefix + "attention.key_length")) {
            return no("the head size cannot be derived from the metadata");
        }
        long headDim = gguf.findLong(prefix + "attention.key_length").orElse(nEmbd / Math.max(1, nHead));
        long valueDim = gguf.findLong(prefix + "attention.value_length").orElse(headDim);
        if (valueDim != headDim) {
            return no("keys and values of different sizes (" + headDim + " and " + valueDim + ")");
        }
        long ropeDims = gguf.findLong(prefix + "rope.dimension_count").orElse(headDim);
        if (ropeDims != headDim) {
            return no("partial rotary embedding (" + ropeDims + " of " + headDim + " dimensions)");
        }
        if (headDim % 2 != 0) {
            return no("an odd head size (" + headDim + ")");
        }

        long blocks = gguf.findLong(prefix + "block_count").orElse(0L);
        for (TensorInfo t : gguf.tensors()) {
            String name = t.name();
            Matcher m = LAYER_TENSOR.matcher(name);
            boolean known;
            if (m.matches()) {
                long layer = Long.parseLong(m.group(1));
                String kind = m.group(2);
                known = layer < blocks && (LAYER_TENSORS.contains(kind) || arch.equals("qwen2") && QKV_BIASES.contains(kind));
            } else {
                known = name.equals("token_embd.weight") || name.equals("output_norm.weight")
                        || name.equals("output.weight") || arch.equals("llama") && name.equals("rope_freqs.weight");
            }
            if (!known) {
                return no("tensor '" + name + "' is not part of the forward pass the trainer computes");
            }
            if (!Dequantizer.supports(t.type())) {
                return no("tensor '" + name + "' has type " + t.type() + ", which the trainer cannot read (it reads "
                        + "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants Q2_K to Q6_K)");
            }
        }
        if (gguf.tensor("rope_freqs.weight").isPresent()) {
            long[] shape = gguf.tensor("rope_freqs.weight").get().shape();
            if (shape[0] != headDim / 2 || Arrays.stream(shape).skip(1).anyMatch(d -> d != 1)) {
                return no("'rope_freqs.weight' has shape " + Arrays.toString(shape) + ", expected [" + headDim / 2 + "]");
            }
        }
        return YES;
    }
}
