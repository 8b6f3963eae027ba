package dev.lifelong.gguf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes llama-architecture GGUF models with random weights that llama.cpp b4916 loads and runs: tiny ones for tests
 * and ones with the shapes of real small models for benchmarks. Same spec, same bytes.
 *
 * <p>The vocabulary is SentencePiece-style ({@code tokenizer.ggml.model = "llama"}): {@code <unk> <s> </s>
 * <|im_start|> <|im_end|>}, the 256 byte tokens {@code <0x00>..<0xFF>} (so any text, emoji and CJK included, tokenizes
 * by byte fallback and decodes back exactly), then normal tokens: {@code ▁} (the space), the printable ASCII
 * characters, and {@code ▁a ▁b ... ▁aa ...} fillers up to the vocabulary size.
 *
 * <p>Dimension 0 of every token embedding is 1 and the output layer weighs it +1 for normal tokens and -1 for special
 * and byte tokens, so greedy generation produces visible text and does not stop at once on an end-of-generation token.
 */
public final class RandomLlamaModel {
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int IM_START_ID = 3;
    public static final int IM_END_ID = 4;
    public static final int FIRST_BYTE_ID = 5;
    /** Tokens before the normal ones: 5 special and 256 byte tokens. */
    public static final int BASE_VOCAB = FIRST_BYTE_ID + 256;

    public static final String CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    // llama_token_type of llama.cpp
    private static final int TYPE_NORMAL = 1;
    private static final int TYPE_UNKNOWN = 2;
    private static final int TYPE_CONTROL = 3;
    private static final int TYPE_BYTE = 6;

    private static final float WEIGHT_RANGE = 0.05f;
    private static final int PRINTABLE_ASCII = 0x7E - 0x21 + 1;

    /**
     * @param vocabExtra normal tokens after the {@value #BASE_VOCAB} special and byte tokens (at least 1: the space)
     */
    public record Spec(String name, int vocabExtra, int nLayer, int nEmbd, int nHead, int nHeadKv, int nFf,
            int contextLength, long seed, GgmlType weightType) {
        public Spec {
            if (vocabExtra < 1 || nLayer < 1 || nEmbd < 1 || nHead < 1 || nHeadKv < 1 || nFf < 1 || contextLength < 1) {
                throw new IllegalArgumentException("sizes must be positive (vocabExtra at least 1): " + this);
            }
            if (nEmbd % nHead != 0 || nHead % nHeadKv != 0 || (nEmbd / nHead) % 2 != 0) {
                throw new IllegalArgumentException("nEmbd must split into nHead heads of even size and nHead into "
                        + "nHeadKv groups: " + this);
            }
            if (!Quantizer.supports(weightType)) {
                throw new IllegalArgumentException("weights can be F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, "
                        + "Q2_K, Q3_K, Q4_K, Q5_K or Q6_K, not " + weightType);
            }
            if (nEmbd % weightType.blockSize() != 0 || nFf % weightType.blockSize() != 0) {
                // Every matrix row is nEmbd long except ffn_down's, which is nFf long.
                throw new IllegalArgumentException(weightType + " stores rows in blocks of " + weightType.blockSize()
                        + ", so nEmbd (" + nEmbd + ") and nFf (" + nFf + ") must be multiples of it");
            }
        }

        /** 26 layers (Gemma 2 2B's depth, which llama.cpp requires for gemma2), width 64: a tiny gemma2. */
        public static Spec tinyGemma2() {
            return new Spec("tiny-random-gemma2", 1 + PRINTABLE_ASCII, 26, 64, 4, 2, 128, 512, 42, GgmlType.F32);
        }

        /** 2 layers, width 64, 356 tokens: loads and runs in milliseconds. */
        public static Spec tiny() {
            return new Spec("tiny-random-llama", 1 + PRINTABLE_ASCII, 2, 64, 4, 2, 128, 512, 42, GgmlType.F32);
        }

        /** The shapes of Qwen2.5-0.5B (as llama architecture), for benchmarks. */
        public static Spec qwen25Half() {
            return new Spec("random-qwen2.5-0.5b-shape", 151936 - BASE_VOCAB, 24, 896, 14, 2, 4864, 32768, 1,
                    GgmlType.F16);
        }

        /** The shapes of SmolLM2-360M, for benchmarks. */
        public static Spec smollm2_360m() {
            return new Spec("random-smollm2-360m-shape", 49152 - BASE_VOCAB, 32, 960, 15, 5, 2560, 8192, 1,
                    GgmlType.F16);
        }

        public int vocabSize() {
            return BASE_VOCAB + vocabExtra;
        }

        public int headDim() {
            return nEmbd / nHead;
        }

        public Spec withWeightType(GgmlType type) {
            return new Spec(name, vocabExtra, nLayer, nEmbd, nHead, nHeadKv, nFf, contextLength, seed, type);
        }

        public Spec withSeed(long newSeed) {
            return new Spec(name, vocabExtra, nLayer, nEmbd, nHead, nHeadKv, nFf, contextLength, newSeed, weightType);
        }
    }

    /**
     * Architecture options for trainer tests: {@code qwen2} adds q/k/v biases (llama.cpp implies NEOX rope from the
     * architecture), {@code tiedEmbeddings} leaves out {@code output.weight} so logits use {@code token_embd.weight}.
     */
    public record Variant(String architecture, boolean tiedEmbeddings, boolean ropeFreqs) {
        public static final Variant LLAMA = new Variant("llama", false, false);

        public Variant {
            if (!architecture.equals("llama") && !architecture.equals("qwen2")) {
                throw new IllegalArgumentException("random models can be llama or qwen2, not " + architecture);
            }
            if (ropeFreqs && !architecture.equals("llama")) {
                throw new IllegalArgumentException("llama.cpp b4916 reads rope_freqs.weight for llama models only");
            }
        }

        public Variant(String architecture, boolean tiedEmbeddings) {
            this(architecture, tiedEmbeddings, false);
        }

        public static Variant qwen2() {
            return new Variant("qwen2", false);
        }

        public Variant tied() {
            return new Variant(architecture, true, ropeFreqs);
        }

        /**
         * With a {@code rope_freqs.weight} (Llama 3.1/3.2's long-context scaling) whose factors are far from 1
         * (1, 4, 7, ...), so a forward pass that ignored them would differ visibly from llama.cpp's.
         */
        public Variant withRopeFreqs() {
            return new Variant(architecture, tiedEmbeddings, true);
        }

        /** The factors {@link #withRopeFreqs} writes for a head size. */
        public static float[] ropeFreqFactors(int headDim) {
            float[] f = new float[headDim / 2];
            for (int i = 0; i < f.length; i++) f[i] = 1 + 3 * i;
            return f;
        }
    }

    private RandomLlamaModel() {
    }

    /** Writes the model in {@code variant}'s architecture to {@code file} (atomically) and returns it. */
    public static Path write(Spec spec, Variant variant, Path file) {
        try {
            return writer(spec, variant).write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes the model to {@code file} (atomically) and returns it. */
    public static Path write(Spec spec, Path file) {
        try {
            return writer(spec).write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model " + file + ": " + e.getMessage(), e);
        }
    }

    /** The token texts of the vocabulary of {@code spec}, by id. */
    public static List<String> vocabulary(Spec spec) {
        List<String> tokens = new ArrayList<>(spec.vocabSize());
        tokens.addAll(List.of("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
        }
        for (int k = 0; k < spec.vocabExtra(); k++) {
            tokens.add(normalToken(k));
        }
        return tokens;
    }

    private static String normalToken(int k) {
        if (k == 0) {
            return "\u2581";
        }
        if (k <= PRINTABLE_ASCII) {
            return String.valueOf((char) (0x20 + k));
        }
        // Bijective base 26: a..z, aa..zz, aaa... — all distinct.
        StringBuilder word = new StringBuilder();
        int n = k - PRINTABLE_ASCII;
        while (n > 0) {
            n--;
            word.append((char) ('a' + n % 26));
            n /= 26;
        }
        return "\u2581" + word.reverse();
    }

    /** A writer holding the whole model, for callers that change metadata before writing (e.g. broken variants). */
    public static GgufWriter writer(Spec spec) {
        return writer(spec, Variant.LLAMA);
    }

    /** A writer of the model in {@code variant}'s architecture. */
    public static GgufWriter writer(Spec spec, Variant variant) {
        String arch = variant.architecture();
        int vocab = spec.vocabSize();
        int[] types = new int[vocab];
        float[] scores = new float[vocab];
        for (int id = 0; id < vocab; id++) {
            if (id == UNK_ID) {
                types[id] = TYPE_UNKNOWN;
            } else if (id < FIRST_BYTE_ID) {
                types[id] = TYPE_CONTROL;
            } else if (id < BASE_VOCAB) {
                types[id] = TYPE_BYTE;
            } else {
                types[id] = TYPE_NORMAL;
                scores[id] = -(id - BASE_VOCAB); // earlier (shorter) pieces merge first
            }
        }
        int fileType = fileType(spec.weightType());
        GgufWriter w = GgufWriter.create()
                .putString("general.architecture", arch)
                .putString("general.name", spec.name())
                .putUInt32("general.file_type", fileType)
                .putUInt32("general.quantization_version", 2)
                .putUInt32(arch + ".vocab_size", vocab)
                .putUInt32(arch + ".context_length", spec.contextLength())
                .putUInt32(arch + ".embedding_length", spec.nEmbd())
                .putUInt32(arch + ".block_count", spec.nLayer())
                .putUInt32(arch + ".feed_forward_length", spec.nFf())
                .putUInt32(arch + ".attention.head_count", spec.nHead())
                .putUInt32(arch + ".attention.head_count_kv", spec.nHeadKv())
                .putUInt32(arch + ".rope.dimension_count", spec.headDim())
                .putFloat32(arch + ".rope.freq_base", 10000f)
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-5f)
                .putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", vocabulary(spec))
                .putFloat32Array("tokenizer.ggml.scores", scores)
                .putInt32Array("tokenizer.ggml.token_type", types)
                .putUInt32("tokenizer.ggml.bos_token_id", BOS_ID)
                .putUInt32("tokenizer.ggml.eos_token_id", IM_END_ID)
                .putUInt32("tokenizer.ggml.unknown_token_id", UNK_ID)
                .putUInt32("tokenizer.ggml.padding_token_id", EOS_ID)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putBool("tokenizer.ggml.add_eos_token", false)
                .putBool("tokenizer.ggml.add_space_prefix", false)
                .putString("tokenizer.chat_template", CHATML_TEMPLATE);

        int e = spec.nEmbd();
        int kv = spec.headDim() * spec.nHeadKv();
        GgmlType wt = spec.weightType();
        // Tied: the embedding doubles as the output layer, so it carries the output's steering constant.
        w.addTensor("token_embd.weight", new long[] {e, vocab}, wt,
                embeddings(spec, "token_embd.weight", variant.tiedEmbeddings()));
        if (variant.ropeFreqs()) {
            w.addTensor("rope_freqs.weight", new long[] {spec.headDim() / 2}, GgmlType.F32,
                    Variant.ropeFreqFactors(spec.headDim()));
        }
        for (int layer = 0; layer < spec.nLayer(); layer++) {
            String p = "blk." + layer + ".";
            w.addTensor(p + "attn_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
            w.addTensor(p + "attn_q.weight", new long[] {e, e}, wt, random(spec, p + "attn_q.weight", (long) e * e));
            w.addTensor(p + "attn_k.weight", new long[] {e, kv}, wt, random(spec, p + "attn_k.weight", (long) e * kv));
            w.addTensor(p + "attn_v.weight", new long[] {e, kv}, wt, random(spec, p + "attn_v.weight", (long) e * kv));
            if (arch.equals("qwen2")) {
                w.addTensor(p + "attn_q.bias", new long[] {e}, GgmlType.F32, randomValues(spec, p + "attn_q.bias", e));
                w.addTensor(p + "attn_k.bias", new long[] {kv}, GgmlType.F32, randomValues(spec, p + "attn_k.bias", kv));
                w.addTensor(p + "attn_v.bias", new long[] {kv}, GgmlType.F32, randomValues(spec, p + "attn_v.bias", kv));
            }
            w.addTensor(p + "attn_output.weight", new long[] {e, e}, wt,
                    random(spec, p + "attn_output.weight", (long) e * e));
            w.addTensor(p + "ffn_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
            long ff = (long) e * spec.nFf();
            w.addTensor(p + "ffn_gate.weight", new long[] {e, spec.nFf()}, wt, random(spec, p + "ffn_gate.weight", ff));
            w.addTensor(p + "ffn_up.weight", new long[] {e, spec.nFf()}, wt, random(spec, p + "ffn_up.weight", ff));
            w.addTensor(p + "ffn_down.weight", new long[] {spec.nFf(), e}, wt, random(spec, p + "ffn_down.weight", ff));
        }
        w.addTensor("output_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
        if (!variant.tiedEmbeddings()) {
            w.addTensor("output.weight", new long[] {e, vocab}, wt, embeddings(spec, "output.weight", true));
        }
        return w;
    }

    /**
     * A tiny random model of the gemma2 architecture (post-attention and post-FFN norms, soft-capping, a sliding
     * window), which llama.cpp b4916 loads and serves but Lifelong's trainer does not implement: for tests of what a
     * user is told when they choose a model that chats but cannot be trained. llama.cpp b4916 builds gemma2 graphs
     * only for the real depths (26, 42 or 46 layers; it aborts on others), so the spec must have one of them.
     */
    public static GgufWriter gemma2(Spec spec) {
        if (spec.nLayer() != 26 && spec.nLayer() != 42 && spec.nLayer() != 46) {
            throw new IllegalArgumentException("llama.cpp b4916 aborts on gemma2 models of " + spec.nLayer()
                    + " layers; use 26, 42 or 46");
        }
        GgufWriter w = writer(spec, Variant.LLAMA);
        GgufWriter g = GgufWriter.create();
        String arch = "gemma2";
        g.putString("general.architecture", arch).putString("general.name", "tiny-random-gemma2")
                .putUInt32("general.file_type", fileType(spec.weightType()))
                .putUInt32(arch + ".context_length", spec.contextLength())
                .putUInt32(arch + ".embedding_length", spec.nEmbd())
                .putUInt32(arch + ".block_count", spec.nLayer())
                .putUInt32(arch + ".feed_forward_length", spec.nFf())
                .putUInt32(arch + ".attention.head_count", spec.nHead())
                .putUInt32(arch + ".attention.head_count_kv", spec.nHeadKv())
                .putUInt32(arch + ".attention.key_length", spec.headDim())
                .putUInt32(arch + ".attention.value_length", spec.headDim())
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", 1e-6f)
                .putFloat32(arch + ".attn_logit_softcapping", 50f)
                .putFloat32(arch + ".final_logit_softcapping", 30f)
                .putUInt32(arch + ".attention.sliding_window", 256)
                .putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", vocabulary(spec));
        // the vocabulary's scores and types as the llama writer makes them
        return copyTokenizerAndAddGemmaTensors(w, g, spec);
    }

    private static GgufWriter copyTokenizerAndAddGemmaTensors(GgufWriter llama, GgufWriter g, Spec spec) {
        llama.copyMetadataTo(g, "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
                "tokenizer.ggml.eos_token_id", "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.padding_token_id",
                "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token", "tokenizer.ggml.add_space_prefix",
                "tokenizer.chat_template");
        int e = spec.nEmbd();
        int kv = spec.headDim() * spec.nHeadKv();
        GgmlType wt = spec.weightType();
        g.addTensor("token_embd.weight", new long[] {e, spec.vocabSize()}, wt, embeddings(spec, "token_embd.weight", true));
        for (int layer = 0; layer < spec.nLayer(); layer++) {
            String p = "blk." + layer + ".";
            for (String norm : new String[] {"attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm"}) {
                // the GGUF converter stores Gemma's (1 + w) norm scale already added up
                g.addTensor(p + norm + ".weight", new long[] {e}, GgmlType.F32, ones(e));
            }
            g.addTensor(p + "attn_q.weight", new long[] {e, e}, wt, random(spec, p + "attn_q.weight", (long) e * e));
            g.addTensor(p + "attn_k.weight", new long[] {e, kv}, wt, random(spec, p + "attn_k.weight", (long) e * kv));
            g.addTensor(p + "attn_v.weight", new long[] {e, kv}, wt, random(spec, p + "attn_v.weight", (long) e * kv));
            g.addTensor(p + "attn_output.weight", new long[] {e, e}, wt, random(spec, p + "attn_output.weight", (long) e * e));
            long ff = (long) e * spec.nFf();
            g.addTensor(p + "ffn_gate.weight", new long[] {e, spec.nFf()}, wt, random(spec, p + "ffn_gate.weight", ff));
            g.addTensor(p + "ffn_up.weight", new long[] {e, spec.nFf()}, wt, random(spec, p + "ffn_up.weight", ff));
            g.addTensor(p + "ffn_down.weight", new long[] {spec.nFf(), e}, wt, random(spec, p + "ffn_down.weight", ff));
        }
        g.addTensor("output_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
        return g;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** Small random values (for F32 biases, whatever the weight type). */
    private static float[] randomValues(Spec spec, String tensor, int n) {
        SplittableRandom r = rng(spec, tensor);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
        }
        return v;
    }

    private static SplittableRandom rng(Spec spec, String tensor) {
        return new SplittableRandom(spec.seed() * 0x9E3779B97F4A7C15L ^ tensor.hashCode());
    }

    /** Random values streamed in rows, never all in memory. */
    private static GgufWriter.TensorContent random(Spec spec, String tensor, long count) {
        return out -> {
            SplittableRandom r = rng(spec, tensor);
            float[] chunk = new float[1 << 15];
            for (long done = 0; done < count; ) {
                int n = (int) Math.min(chunk.length, count - done);
                for (int i = 0; i < n; i++) {
                    chunk[i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
                }
                emit(spec.weightType(), out, chunk, n);
                done += n;
            }
        };
    }

    /** Token-by-row matrices whose dimension 0 carries the constant that steers greedy decoding to normal tokens. */
    private static GgufWriter.TensorContent embeddings(Spec spec, String tensor, boolean output) {
        return out -> {
            SplittableRandom r = rng(spec, tensor);
            int e = spec.nEmbd();
            int rowsPerChunk = Math.max(1, (1 << 15) / e);
            float[] chunk = new float[rowsPerChunk * e];
            for (int first = 0; first < spec.vocabSize(); first += rowsPerChunk) {
                int rows = Math.min(rowsPerChunk, spec.vocabSize() - first);
                for (int row = 0; row < rows; row++) {
                    int id = first + row;
                    for (int i = 0; i < e; i++) {
                        chunk[row * e + i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
                    }
                    chunk[row * e] = !output ? 1f : id >= BASE_VOCAB ? 1f : -1f;
                }
                emit(spec.weightType(), out, chunk, rows * e);
            }
        };
    }

    /** llama_ftype of a model whose matrices all have this type (the "_S" variant for K-quants). */
    private static int fileType(GgmlType weightType) {
        return switch (weightType) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 11; // Q3_K_S
            case Q4_K -> 14; // Q4_K_S
            case Q5_K -> 16; // Q5_K_S
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException("no llama file type for " + weightType);
        };
    }

    private static void emit(GgmlType type, GgufWriter.TensorOutput out, float[] values, int n) throws IOException {
        if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) {
            out.writeFloats(values, 0, n);
        } else {
            out.write(ByteBuffer.wrap(Quantizer.quantize(type, values, 0, n)));
        }
    }
}
