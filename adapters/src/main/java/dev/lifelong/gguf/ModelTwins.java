package dev.lifelong.gguf;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Random-weight twins of the models in Lifelong's catalog: the same architecture, metadata keys, tensor names,
 * shapes and per-tensor types (a Q4_K_M file's mix included, decided by llama.cpp's own rules) and vocabulary size
 * (a synthetic byte-level BPE vocabulary with the real special tokens at their real ids), and the real chat template.
 * Only the weight values (and the vocabulary's ordinary pieces) differ. Whatever touches a model is tested on them,
 * because tiny models hide what breaks at real sizes. See {@code docs/decisions/023-real-models.md}.
 *
 * <p>Each twin records the byte size of the real file; {@code ModelTwinsTest} checks that the twin's tensor data
 * fills it but for a vocabulary-sized remainder, which is what pins the type mix to the real one.
 */
public final class ModelTwins {
    /** The file types the catalog uses (llama_ftype). */
    public enum FileType {
        /** All matrices F16: no quantization noise in llama.cpp either (for telling noise from a wrong forward). */
        F16(1), Q8_0(7), Q4_K_M(15);

        final int id;

        FileType(int id) {
            this.id = id;
        }
    }

    /**
     * One twin.
     *
     * @param catalogId the id of the real model in the installer's catalog
     * @param realFileBytes the size of the real GGUF file
     * @param untiedOutput whether the real file carries {@code output.weight} (Qwen's official GGUFs do, although the
     *     models tie their embeddings)
     */
    public record Twin(String catalogId, String displayName, String architecture, int nLayer, int nEmbd, int nHead,
            int nHeadKv, int nFf, int vocabSize, int contextLength, float ropeTheta, float rmsEps,
            boolean untiedOutput, FileType fileType, String tokenizerPre, String chatTemplateResource,
            long realFileBytes) {
        public int headDim() {
            return nEmbd / nHead;
        }

        /** A Llama 3.x model: rope frequency factors, explicit key/value lengths, the 128k vocabulary's specials. */
        public boolean llama3() {
            return tokenizerPre.equals("llama-bpe");
        }

        /** The same twin with every matrix in {@code type} (F16 twins tell quantization noise from a wrong forward). */
        public Twin withFileType(FileType type) {
            return new Twin(catalogId + (type == fileType ? "" : "-" + type.name().toLowerCase(java.util.Locale.ROOT)),
                    displayName, architecture, nLayer, nEmbd, nHead, nHeadKv, nFf, vocabSize, contextLength, ropeTheta,
                    rmsEps, untiedOutput, type, tokenizerPre, chatTemplateResource, realFileBytes);
        }

        /** A stable file name that changes whenever the twin's definition or writer changes. */
        public String fileName() {
            return catalogId + "-twin-" + Integer.toHexString((toString() + WRITER_VERSION).hashCode()) + ".gguf";
        }

        public long parameterCount() {
            long perLayer = (long) nEmbd * nEmbd * 2 + (long) nEmbd * headDim() * nHeadKv * 2
                    + 3L * nEmbd * nFf + 2L * nEmbd + (architecture.equals("qwen2") ? nEmbd + 2L * headDim() * nHeadKv : 0);
            return (long) vocabSize * nEmbd * (untiedOutput ? 2 : 1) + perLayer * nLayer + nEmbd;
        }
    }

    private static final int WRITER_VERSION = 2;
    private static final float WEIGHT_RANGE = 0.05f;

    public static final Twin QWEN25_05B = new Twin("qwen2.5-0.5b-instruct-q4_k_m", "Qwen2.5 0.5B Instruct (twin)",
            "qwen2", 24, 896, 14, 2, 4864, 151936, 32768, 1_000_000f, 1e-6f, true, FileType.Q4_K_M, "qwen2",
            "qwen2.5.jinja", 491_400_032L);
    public static final Twin QWEN25_15B = new Twin("qwen2.5-1.5b-instruct-q4_k_m", "Qwen2.5 1.5B Instruct (twin)",
            "qwen2", 28, 1536, 12, 2, 8960, 151936, 32768, 1_000_000f, 1e-6f, true, FileType.Q4_K_M, "qwen2",
            "qwen2.5.jinja", 1_117_320_736L);
    public static final Twin SMOLLM2_360M = new Twin("smollm2-360m-instruct-q8_0", "SmolLM2 360M Instruct (twin)",
            "llama", 32, 960, 15, 5, 2560, 49152, 8192, 100_000f, 1e-5f, false, FileType.Q8_0, "smollm",
            "smollm2.jinja", 386_404_992L);
    public static final Twin LLAMA32_1B = new Twin("llama-3.2-1b-instruct-q4_k_m", "Llama 3.2 1B Instruct (twin)",
            "llama", 16, 2048, 32, 8, 8192, 128256, 131072, 500_000f, 1e-5f, false, FileType.Q4_K_M, "llama-bpe",
            "llama3.2.jinja", 807_694_464L);

    /** Every catalog model's twin, smallest first. */
    public static final List<Twin> ALL = List.of(SMOLLM2_360M, QWEN25_05B, LLAMA32_1B, QWEN25_15B);

    private ModelTwins() {
    }

    public static Optional<Twin> forCatalogId(String id) {
        return ALL.stream().filter(t -> t.catalogId().equals(id)).findFirst();
    }

    /**
     * The twin in {@code dir}, written first if it is not there yet (writing takes seconds to a minute; the files are
     * 0.4–1.1 GB, so tests share them through one folder).
     */
    public static synchronized Path cached(Twin twin, Path dir) {
        Path file = dir.resolve(twin.fileName());
        if (Files.isRegularFile(file)) return file;
        try {
            Files.createDirectories(dir);
            return writer(twin).write(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the twin " + file + ": " + e.getMessage(), e);
        }
    }

    /** The folder tests share twins through: {@code -Dlifelong.twins=DIR}, else the system temp folder. */
    public static Path sharedFolder() {
        String configured = System.getProperty("lifelong.twins");
        return configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("java.io.tmpdir"), "lifelong-twins");
    }

    /** The type llama.cpp's quantizer gives a tensor for this file type (llama_tensor_get_type, b4916). */
    static GgmlType typeOf(Twin twin, String name, int layer, long rowLength) {
        if (name.endsWith("_norm.weight") || name.endsWith(".bias") || name.equals("rope_freqs.weight")) {
            return GgmlType.F32;
        }
        if (twin.fileType() == FileType.Q8_0) {
            return GgmlType.Q8_0;
        }
        if (twin.fileType() == FileType.F16) {
            return GgmlType.F16;
        }
        boolean isOutput = name.equals("output.weight") || !twin.untiedOutput() && name.equals("token_embd.weight");
        GgmlType type;
        if (isOutput) {
            // The output layer gets 6 bits; rows that K-quants cannot hold get Q8_0 straight away.
            return rowLength % 256 != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        } else if (name.endsWith("attn_v.weight") || name.endsWith("ffn_down.weight")) {
            type = useMoreBits(layer, twin.nLayer()) ? GgmlType.Q6_K : GgmlType.Q4_K;
        } else {
            type = GgmlType.Q4_K;
        }
        if (rowLength % 256 != 0) {
            // llama.cpp's fallback for rows that are not whole super-blocks
            type = type == GgmlType.Q4_K ? GgmlType.Q5_0 : GgmlType.Q8_0;
        }
        return type;
    }

    /** llama.cpp's use_more_bits: the first and last eighth of the layers and every third one between. */
    static boolean useMoreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** Llama 3's rope frequency factors (factor 32, low 1, high 4, original context 8192), as the converter writes them. */
    static float[] llama3RopeFactors(int headDim, float theta) {
        double factor = 32, low = 1, high = 4, original = 8192;
        double lowWavelen = original / low;
        double highWavelen = original / high;
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            double freq = 1.0 / Math.pow(theta, 2.0 * i / headDim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highWavelen) {
                out[i] = 1f;
            } else if (wavelen > lowWavelen) {
                out[i] = (float) factor;
            } else {
                double smooth = (original / wavelen - low) / (high - low);
                out[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return out;
    }

    /** A writer holding the whole twin (tensor contents are generated while writing). */
    public static GgufWriter writer(Twin twin) {
        String arch = twin.architecture();
        SyntheticBpeVocabulary vocab = vocabulary(twin);
        GgufWriter w = GgufWriter.create()
                .putString("general.architecture", arch)
                .putString("general.type", "model")
                .putString("general.name", twin.displayName())
                .putString("general.finetune", "Instruct")
                .putString("general.size_label", sizeLabel(twin))
                .putUInt32(arch + ".block_count", twin.nLayer())
                .putUInt32(arch + ".context_length", twin.contextLength())
                .putUInt32(arch + ".embedding_length", twin.nEmbd())
                .putUInt32(arch + ".feed_forward_length", twin.nFf())
                .putUInt32(arch + ".attention.head_count", twin.nHead())
                .putUInt32(arch + ".attention.head_count_kv", twin.nHeadKv())
                .putFloat32(arch + ".rope.freq_base", twin.ropeTheta())
                .putFloat32(arch + ".attention.layer_norm_rms_epsilon", twin.rmsEps())
                .putUInt32("general.file_type", twin.fileType().id);
        if (arch.equals("llama")) {
            if (twin.llama3()) {
                w.putUInt32(arch + ".attention.key_length", twin.headDim())
                        .putUInt32(arch + ".attention.value_length", twin.headDim());
            }
            w.putUInt32(arch + ".vocab_size", twin.vocabSize())
                    .putUInt32(arch + ".rope.dimension_count", twin.headDim());
        }
        w.putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", twin.tokenizerPre())
                .putStringArray("tokenizer.ggml.tokens", vocab.tokens())
                .putInt32Array("tokenizer.ggml.token_type", vocab.types())
                .putStringArray("tokenizer.ggml.merges", vocab.merges());
        specialIds(twin).forEach(w::putUInt32);
        if (twin.architecture().equals("qwen2")) w.putBool("tokenizer.ggml.add_bos_token", false);
        w.putString("tokenizer.chat_template", template(twin.chatTemplateResource()))
                .putUInt32("general.quantization_version", 2);

        int e = twin.nEmbd();
        int kv = twin.headDim() * twin.nHeadKv();
        int v = twin.vocabSize();
        long seed = twin.catalogId().hashCode();
        tensor(w, twin, "token_embd.weight", -1, e, v, seed, !twin.untiedOutput(), true);
        if (twin.llama3()) {
            w.addTensor("rope_freqs.weight", new long[] {twin.headDim() / 2}, GgmlType.F32,
                    llama3RopeFactors(twin.headDim(), twin.ropeTheta()));
        }
        for (int layer = 0; layer < twin.nLayer(); layer++) {
            String p = "blk." + layer + ".";
            w.addTensor(p + "attn_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
            tensor(w, twin, p + "attn_q.weight", layer, e, e, seed, false, false);
            tensor(w, twin, p + "attn_k.weight", layer, e, kv, seed, false, false);
            tensor(w, twin, p + "attn_v.weight", layer, e, kv, seed, false, false);
            if (arch.equals("qwen2")) {
                w.addTensor(p + "attn_q.bias", new long[] {e}, GgmlType.F32, small(seed, p + "attn_q.bias", e));
                w.addTensor(p + "attn_k.bias", new long[] {kv}, GgmlType.F32, small(seed, p + "attn_k.bias", kv));
                w.addTensor(p + "attn_v.bias", new long[] {kv}, GgmlType.F32, small(seed, p + "attn_v.bias", kv));
            }
            tensor(w, twin, p + "attn_output.weight", layer, e, e, seed, false, false);
            w.addTensor(p + "ffn_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
            tensor(w, twin, p + "ffn_gate.weight", layer, e, twin.nFf(), seed, false, false);
            tensor(w, twin, p + "ffn_up.weight", layer, e, twin.nFf(), seed, false, false);
            tensor(w, twin, p + "ffn_down.weight", layer, twin.nFf(), e, seed, false, false);
        }
        w.addTensor("output_norm.weight", new long[] {e}, GgmlType.F32, ones(e));
        if (twin.untiedOutput()) {
            tensor(w, twin, "output.weight", -1, e, v, seed, true, true);
        }
        return w;
    }

    private static String sizeLabel(Twin twin) {
        double b = twin.parameterCount() / 1e9;
        return b >= 1 ? String.format(java.util.Locale.ROOT, "%.1fB", b) : Math.round(b * 1000) + "M";
    }

    /**
     * A [rows = out][cols = in] matrix in the type llama.cpp would give it, streamed in rows. Embedding-like matrices
     * carry RandomLlamaModel's steering constant in dimension 0 (+1 for normal tokens, −1 for special ones in the
     * output), so greedy decoding produces visible text instead of stopping at once.
     *
     * <p>Quantized matrices are assembled from a pool of blocks quantized once from uniform random values, each block
     * position drawing a random pool block: the same value distribution and valid scales, but writing a 1.5B twin takes
     * seconds instead of minutes of k-quant searches (a clean CI run builds every twin).
     */
    private static void tensor(GgufWriter w, Twin twin, String name, int layer, int in, int out, long seed,
            boolean isOutput, boolean embedding) {
        GgmlType type = typeOf(twin, name, layer, in);
        java.util.Set<Integer> specials = new java.util.HashSet<>();
        for (long id : specialIds(twin).values()) specials.add((int) id);
        w.addTensor(name, new long[] {in, out}, type, (GgufWriter.TensorContent) o -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
            if (type == GgmlType.F32 || type == GgmlType.F16 || type == GgmlType.BF16) {
                int rowsPerChunk = Math.max(1, (1 << 16) / in);
                float[] chunk = new float[rowsPerChunk * in];
                for (int first = 0; first < out; first += rowsPerChunk) {
                    int rows = Math.min(rowsPerChunk, out - first);
                    for (int row = 0; row < rows; row++) {
                        for (int i = 0; i < in; i++) chunk[row * in + i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
                        if (embedding) chunk[row * in] = steering(first + row, isOutput, specials);
                    }
                    o.writeFloats(chunk, 0, rows * in);
                }
                return;
            }
            int blockBytes = type.bytesPerBlock();
            byte[] pool = blockPool(type, POOL_BLOCKS, r, Float.NaN);
            byte[] plusFirst = embedding ? blockPool(type, FIRST_POOL_BLOCKS, r, 1f) : null;
            byte[] minusFirst = embedding && isOutput ? blockPool(type, FIRST_POOL_BLOCKS, r, -1f) : null;
            int blocksPerRow = in / type.blockSize();
            byte[] row = new byte[blocksPerRow * blockBytes];
            for (int id = 0; id < out; id++) {
                for (int b = 0; b < blocksPerRow; b++) {
                    byte[] source = pool;
                    int blocks = POOL_BLOCKS;
                    if (b == 0 && embedding) {
                        source = steering(id, isOutput, specials) > 0 ? plusFirst : minusFirst;
                        blocks = FIRST_POOL_BLOCKS;
                    }
                    System.arraycopy(source, r.nextInt(blocks) * blockBytes, row, b * blockBytes, blockBytes);
                }
                o.write(ByteBuffer.wrap(row));
            }
        });
    }

    private static final int POOL_BLOCKS = 4096;
    private static final int FIRST_POOL_BLOCKS = 256;

    /** {@code count} blocks quantized from uniform random values; a non-NaN {@code first} fixes element 0. */
    private static byte[] blockPool(GgmlType type, int count, SplittableRandom r, float first) {
        float[] values = new float[count * type.blockSize()];
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
        if (!Float.isNaN(first)) {
            for (int blk = 0; blk < count; blk++) values[blk * type.blockSize()] = first;
        }
        return Quantizer.quantize(type, values, 0, values.length);
    }

    private static float steering(int id, boolean isOutput, java.util.Set<Integer> specials) {
        return !isOutput ? 1f : specials.contains(id) ? -1f : 1f;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    private static float[] small(long seed, String name, int n) {
        SplittableRandom r = new SplittableRandom(seed ^ name.hashCode());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextDouble(-WEIGHT_RANGE, WEIGHT_RANGE);
        return v;
    }

    /** The special-token ids the real file names (bos, eos, padding, ...). */
    private static Map<String, Long> specialIds(Twin twin) {
        Map<String, Long> ids = new LinkedHashMap<>();
        if (twin.architecture().equals("qwen2")) {
            ids.put("tokenizer.ggml.eos_token_id", 151645L);
            ids.put("tokenizer.ggml.padding_token_id", 151643L);
            ids.put("tokenizer.ggml.bos_token_id", 151643L);
        } else if (twin.llama3()) {
            ids.put("tokenizer.ggml.bos_token_id", 128000L);
            ids.put("tokenizer.ggml.eos_token_id", 128009L);
        } else {
            ids.put("tokenizer.ggml.bos_token_id", 1L);
            ids.put("tokenizer.ggml.eos_token_id", 2L);
            ids.put("tokenizer.ggml.unknown_token_id", 0L);
            ids.put("tokenizer.ggml.padding_token_id", 2L);
        }
        return ids;
    }

    private static final Map<String, SyntheticBpeVocabulary> VOCABULARIES = new java.util.concurrent.ConcurrentHashMap<>();

    static SyntheticBpeVocabulary vocabulary(Twin twin) {
        return VOCABULARIES.computeIfAbsent(twin.catalogId(), id -> buildVocabulary(twin));
    }

    private static SyntheticBpeVocabulary buildVocabulary(Twin twin) {
        Map<Integer, SyntheticBpeVocabulary.Special> specials = new LinkedHashMap<>();
        if (twin.architecture().equals("qwen2")) {
            String[] control = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>",
                "<|object_ref_end|>", "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>",
                "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>"};
            int id = 151643;
            for (String s : control) specials.put(id++, SyntheticBpeVocabulary.Special.control(s));
            specials.put(id++, SyntheticBpeVocabulary.Special.userDefined("<tool_call>"));
            specials.put(id++, SyntheticBpeVocabulary.Special.userDefined("</tool_call>"));
            for (String s : new String[] {"<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
                "<|repo_name|>", "<|file_sep|>"}) {
                specials.put(id++, SyntheticBpeVocabulary.Special.userDefined(s));
            }
            return SyntheticBpeVocabulary.build(twin.vocabSize(), 0, 151643, specials, "[PAD%d]");
        }
        if (twin.llama3()) {
            String[] named = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"};
            for (int i = 0; i < 256; i++) {
                String text = i < named.length ? named[i] : "<|reserved_special_token_" + (i - named.length + 3) + "|>";
                specials.put(128000 + i, SyntheticBpeVocabulary.Special.control(text));
            }
            return SyntheticBpeVocabulary.build(twin.vocabSize(), 0, 128000, specials, "[PAD%d]");
        }
        String[] smol = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<repo_name>", "<reponame>", "<file_sep>",
            "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>",
            "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<jupyter_script>", "<empty_output>"};
        for (int i = 0; i < smol.length; i++) specials.put(i, SyntheticBpeVocabulary.Special.control(smol[i]));
        return SyntheticBpeVocabulary.build(twin.vocabSize(), smol.length, twin.vocabSize() - smol.length, specials,
                "[PAD%d]");
    }

    static String template(String resource) {
        try (InputStream in = ModelTwins.class.getResourceAsStream("twins/" + resource)) {
            if (in == null) throw new IllegalStateException("chat template resource missing: " + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
