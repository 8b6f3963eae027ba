package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.PoolingType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The independent check of {@link Dequantizer}: llama.cpp itself runs a model with quantized weights and a twin whose
 * weights are F32 = our decoding of those very bytes. If our decoding differed from ggml's (nibble order, scale
 * packing, signs), the twins would be different networks and answer differently. They may differ only by llama.cpp
 * quantizing activations for quantized matmuls (to Q8_0 / Q8_K), which moves results by a little.
 *
 * <p>Two signals: the greedy continuation, and the next-token top-5 probabilities after the prompt. java-llama.cpp
 * 4.2.0 aborts the JVM when asked for probabilities ({@code setNProbs}: its JNI code looks up a JSON key that
 * llama.cpp b4916 no longer writes), so the probabilities are computed from llama.cpp's final hidden state of the last
 * prompt token (embedding mode, LAST pooling, which is after {@code output_norm}) times the output matrix.
 */
class DequantizerLlamaCppTest {
    /** Wide enough for 256-element K-quant rows, small enough to load and generate in well under a second. */
    static final RandomLlamaModel.Spec SPEC = new RandomLlamaModel.Spec("quant-check", 1 + 94, 2, 256, 4, 2, 512, 512,
            5, GgmlType.F32);
    static final String PROMPT = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n";
    static final int N_PREDICT = 16;
    /** Absolute tolerance on top-5 probabilities; the differences seen are printed and reported in decision 008. */
    static final double PROBABILITY_TOLERANCE = 2e-3;
    /**
     * Greedy decoding of a random model picks among nearly equal probabilities (about 0.02 each), so activation
     * quantization may tip a near-tie; continuations may part only where the two tokens' probabilities are this close.
     */
    static final double NEAR_TIE = 1e-3;

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "BF16"})
    void llamaCppRunsTheQuantizedModelAsItsDequantizedF32Twin(GgmlType type) throws IOException {
        Path quantized = RandomLlamaModel.write(SPEC.withWeightType(type), dir.resolve(type + ".gguf"));
        Path twin = dir.resolve(type + "-as-f32.gguf");
        try (GgufFile file = GgufReader.read(quantized)) {
            assertThat(file.tensor("blk.0.ffn_down.weight").orElseThrow().type()).isEqualTo(type);
            dequantizedTwin(file, false).write(twin);
        }
        Comparison c = compare(quantized, twin);
        System.out.printf("%-5s %s%n", type, c);
        assertThat(c.maxProbabilityDifference()).as(type + ": " + c).isLessThan(PROBABILITY_TOLERANCE);
        assertThat(c.continuationsAgree()).as(type + ": " + c).isTrue();
    }

    /** The check can fail: a twin decoded with the two nibbles of each Q4_K byte swapped is told apart. */
    @Test
    void aTwinDecodedWithSwappedNibblesIsToldApart() throws IOException {
        Path quantized = RandomLlamaModel.write(SPEC.withWeightType(GgmlType.Q4_K), dir.resolve("q4k.gguf"));
        Path twin = dir.resolve("swapped-as-f32.gguf");
        try (GgufFile file = GgufReader.read(quantized)) {
            dequantizedTwin(file, true).write(twin);
        }
        Comparison c = compare(quantized, twin);
        System.out.printf("Q4_K with swapped nibbles %s%n", c);
        assertThat(c.maxProbabilityDifference() < PROBABILITY_TOLERANCE && c.continuationsAgree()).isFalse();
    }

    /**
     * @param firstDivergence index of the first differing token, or -1
     * @param gapAtDivergence there, max over both models of |p(token of one) - p(token of the other)|
     */
    record Comparison(List<String> quantized, List<String> twin, double maxProbabilityDifference, double[] topFive,
            int firstDivergence, double gapAtDivergence) {
        /** Equal, or parted at a near-tie that activation quantization may legitimately tip. */
        boolean continuationsAgree() {
            return firstDivergence < 0 || gapAtDivergence < NEAR_TIE;
        }

        @Override
        public String toString() {
            return String.format("continuation '%s'%s | top-5 p %s | max top-5 probability difference %.2e",
                    String.join("", quantized).replace("\n", "\\n"), firstDivergence < 0 ? " (same)"
                            : String.format(" vs twin '%s', parted at token %d with a probability gap of %.1e",
                                    String.join("", twin), firstDivergence, gapAtDivergence),
                    java.util.Arrays.toString(java.util.Arrays.stream(topFive).mapToObj(p -> String.format("%.4f", p))
                            .toArray()), maxProbabilityDifference);
        }
    }

    static Comparison compare(Path quantized, Path twin) {
        float[] output;
        try (GgufFile file = GgufReader.read(quantized)) {
            output = Dequantizer.dequantize(file, file.tensor("output.weight").orElseThrow());
        }
        List<String> a = generate(quantized);
        List<String> b = generate(twin);
        double[] pa = probabilities(output, lastHiddenState(quantized, PROMPT));
        double[] pb = probabilities(output, lastHiddenState(twin, PROMPT));
        int[] top = top(pa, 5);
        double maxDiff = 0;
        for (int id : top) {
            maxDiff = Math.max(maxDiff, Math.abs(pa[id] - pb[id]));
        }
        int parted = -1;
        double gap = 0;
        for (int i = 0; i < N_PREDICT && parted < 0; i++) {
            if (!a.get(i).equals(b.get(i))) {
                parted = i;
                String prefix = PROMPT + String.join("", a.subList(0, i));
                int ta = tokenId(a.get(i));
                int tb = tokenId(b.get(i));
                for (Path model : List.of(quantized, twin)) {
                    double[] p = probabilities(output, lastHiddenState(model, prefix));
                    gap = Math.max(gap, Math.abs(p[ta] - p[tb]));
                }
            }
        }
        return new Comparison(a, b, maxDiff, java.util.Arrays.stream(top).mapToDouble(id -> pa[id]).toArray(),
                parted, gap);
    }

    /** The id of a generated piece; the random vocabulary spells every printable character as its own token. */
    static int tokenId(String piece) {
        int id = RandomLlamaModel.vocabulary(SPEC).indexOf(piece.replace(' ', '\u2581'));
        assertThat(id).as("token of '" + piece + "'").isNotNegative();
        return id;
    }

    /** Same metadata and tensors, every tensor stored as F32 = its decoding. */
    static GgufWriter dequantizedTwin(GgufFile file, boolean swapQ4KNibbles) {
        GgufWriter w = GgufWriter.create();
        for (String key : file.metadata().keySet()) {
            GgufValueType type = file.valueType(key).orElseThrow();
            switch (type) {
                case STRING -> w.putString(key, file.getString(key));
                case UINT32 -> w.putUInt32(key, file.getLong(key));
                case INT32 -> w.putInt32(key, (int) file.getLong(key));
                case FLOAT32 -> w.putFloat32(key, file.getFloat(key));
                case BOOL -> w.putBool(key, file.getBoolean(key));
                case ARRAY -> w.putArray(key, file.arrayElementType(key).orElseThrow(), file.getList(key));
                default -> throw new AssertionError("copying " + type + " metadata is not needed yet: " + key);
            }
        }
        w.putUInt32("general.file_type", 0);
        for (TensorInfo t : file.tensors()) {
            float[] values;
            if (swapQ4KNibbles && t.type() == GgmlType.Q4_K) {
                java.nio.ByteBuffer data = file.tensorData(t);
                byte[] bytes = new byte[data.remaining()];
                data.duplicate().get(bytes);
                for (int block = 0; block < bytes.length; block += 144) {
                    for (int i = block + 16; i < block + 144; i++) bytes[i] = (byte) ((bytes[i] & 0xF) << 4 | (bytes[i] & 0xFF) >> 4);
                }
                values = new float[(int) t.elementCount()];
                Dequantizer.dequantize(t.type(), java.nio.ByteBuffer.wrap(bytes), values, t.name());
            } else {
                values = Dequantizer.dequantize(file, t);
            }
            w.addTensor(t.name(), t.shape(), GgmlType.F32, values);
        }
        return w;
    }

    static List<String> generate(Path model) {
        List<String> pieces = new ArrayList<>();
        try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(model.toString()).setCtxSize(128)
                .setThreads(2).setGpuLayers(0))) {
            for (LlamaOutput out : llama.generate(new InferenceParameters(PROMPT).setNPredict(N_PREDICT)
                    .setTemperature(0).setSeed(1))) {
                if (!out.text.isEmpty()) {
                    pieces.add(out.text);
                }
            }
        }
        assertThat(pieces).hasSize(N_PREDICT);
        return pieces;
    }

    /** llama.cpp's L2-normalised final hidden state (after output_norm) of the prompt's last token. */
    static float[] lastHiddenState(Path model, String text) {
        try (LlamaModel llama = new LlamaModel(new ModelParameters().setModel(model.toString()).setCtxSize(128)
                .setThreads(2).setGpuLayers(0).enableEmbedding().setPoolingType(PoolingType.LAST))) {
            float[] h = llama.embed(text);
            assertThat(h).hasSize(SPEC.nEmbd());
            return h;
        }
    }

    /**
     * Softmax of output · h. The RMS norm (with weights 1) leaves a hidden state of length sqrt(nEmbd), which the
     * normalisation of embeddings took away; put it back.
     */
    static double[] probabilities(float[] output, float[] h) {
        int e = h.length;
        int vocab = output.length / e;
        double[] logits = new double[vocab];
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            double dot = 0;
            for (int i = 0; i < e; i++) dot += (double) output[v * e + i] * h[i];
            logits[v] = dot * Math.sqrt(e);
            max = Math.max(max, logits[v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) sum += logits[v] = Math.exp(logits[v] - max);
        for (int v = 0; v < vocab; v++) logits[v] /= sum;
        return logits;
    }

    static int[] top(double[] p, int k) {
        return java.util.stream.IntStream.range(0, p.length).boxed()
                .sorted((a, b) -> Double.compare(p[b], p[a])).limit(k).mapToInt(Integer::intValue).toArray();
    }
}
