package dev.lifelong.seedling.training;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.gguf.Quantizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Writes a {@link FullModel} as a complete llama GGUF that llama.cpp b4916 loads: {@code general.*} and
 * {@code llama.*} metadata, the tokenizer keys added by the caller, and the tensors named and shaped as llama.cpp
 * expects (a row-major [out][in] weight has ggml shape ne = [in, out]). Norm vectors are always F32; matrices are
 * F32, F16 or Q8_0. The file is written to a temp file, fsynced and atomically renamed (by {@link GgufWriter}).
 */
public final class GgufModelExport {
    private GgufModelExport() {
    }

    /**
     * @param vocabulary adds the {@code tokenizer.*} keys (model, tokens, scores, token types, special ids, chat
     *     template); their token count must equal the config's vocabulary size
     */
    public static Path write(Path target, FullModel model, GgmlType type, String name, Consumer<GgufWriter> vocabulary)
            throws IOException {
        return writer(model, type, name, vocabulary).write(target);
    }

    /** The writer holding the whole model, for callers that add metadata (e.g. training provenance) before writing. */
    public static GgufWriter writer(FullModel model, GgmlType type, String name, Consumer<GgufWriter> vocabulary) {
        SeedlingModelConfig c = model.config();
        int fileType = switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q8_0 -> 7;
            default -> throw new IllegalArgumentException("models are exported as F32, F16 or Q8_0, not " + type);
        };
        if (c.nEmbd() % type.blockSize() != 0 || c.nFf() % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " stores rows in blocks of " + type.blockSize() + ", so nEmbd ("
                    + c.nEmbd() + ") and nFf (" + c.nFf() + ") must be multiples of it");
        }
        String a = "llama";
        GgufWriter w = GgufWriter.create()
                .putString("general.architecture", a)
                .putString("general.name", name)
                .putUInt32("general.file_type", fileType)
                .putUInt32("general.quantization_version", 2)
                .putUInt32(a + ".vocab_size", c.vocabSize())
                .putUInt32(a + ".context_length", c.contextLength())
                .putUInt32(a + ".embedding_length", c.nEmbd())
                .putUInt32(a + ".block_count", c.nLayer())
                .putUInt32(a + ".feed_forward_length", c.nFf())
                .putUInt32(a + ".attention.head_count", c.nHead())
                .putUInt32(a + ".attention.head_count_kv", c.nHeadKv())
                .putUInt32(a + ".rope.dimension_count", c.headDim())
                .putFloat32(a + ".rope.freq_base", c.ropeTheta())
                .putFloat32(a + ".attention.layer_norm_rms_epsilon", c.rmsEps());
        vocabulary.accept(w);
        for (FullModel.Tensor t : model.tensors()) {
            float[] v = model.values(t.name());
            if (!t.isMatrix()) {
                w.addTensor(t.name(), new long[] {t.shape()[0]}, GgmlType.F32, v);
                continue;
            }
            long[] ne = {t.shape()[1], t.shape()[0]};
            if (type == GgmlType.Q8_0) {
                w.addTensor(t.name(), ne, type, Quantizer.quantize(type, v));
            } else {
                w.addTensor(t.name(), ne, type, v);
            }
        }
        return w;
    }
}
