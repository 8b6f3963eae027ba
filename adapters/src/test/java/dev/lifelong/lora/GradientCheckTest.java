package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.types.DataType;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The trainer's LoRA gradients — hand-written checkpointed backward pass (layer by layer, recomputed) and chunked
 * output-layer gradient — against central finite differences of its own forward loss, in float64, with B nonzero,
 * a batch of two sequences, LoRA dropout on, and the vocabulary split into several chunks.
 */
class GradientCheckTest {
    @org.junit.jupiter.api.BeforeAll
    static void torchThreads() {
        Reference.singleThreadedTorch();
    }

    @TempDir
    Path dir;

    static List<Variant> variants() {
        return List.of(Variant.LLAMA, Variant.qwen2().tied());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void loraGradientsMatchFiniteDifferences(Variant variant) {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), variant, dir.resolve("m.gguf"));
        try (TransformerModel model = TransformerModel.load(file, DataType.FLOAT64)) {
            model.vocabChunkRows(100); // 356 tokens: four chunks, so the running log-sum-exp is exercised
            LoraWeights w = LoraWeights.initialize(model.config(), LoraConfig.of(2, 3).withAlpha(3f).withDropout(0.2f));
            SplittableRandom r = new SplittableRandom(11);
            for (int i = 0; i < w.slots().size(); i++) {
                float[] b = w.b(i);
                for (int j = 0; j < b.length; j++) {
                    b[j] = (float) r.nextDouble(-0.5, 0.5);
                }
            }
            List<TrainingSequence> batch = List.of(sequence(r, model, 12), sequence(r, model, 7));
            List<Dropout> dropouts = List.of(new Dropout(0.2f, 5, 3, 0), new Dropout(0.2f, 5, 3, 1));
            double scale = 0.37;

            double[][] a = new double[w.slots().size()][];
            double[][] b = new double[w.slots().size()][];
            for (int i = 0; i < a.length; i++) {
                a[i] = toDouble(w.a(i));
                b[i] = toDouble(w.b(i));
            }
            double[][] gradA = new double[a.length][];
            double[][] gradB = new double[a.length][];
            model.lossAndGradients(batch, LoraTensors.of(w, a, b), dropouts, scale, (slot, isA, g) -> {
                double[][] into = isA ? gradA : gradB;
                if (into[slot] != null) throw new IllegalStateException("slot " + slot + " reported twice");
                into[slot] = g.toDoubleArray();
            });
            double h = 1e-6;
            int checked = 0;
            for (int slot : new int[] {0, 3, 6, w.slots().size() - 1}) {
                for (int k = 0; k < 3; k++) {
                    for (boolean isA : new boolean[] {true, false}) {
                        double[] p = isA ? a[slot] : b[slot];
                        int j = r.nextInt(p.length);
                        double saved = p[j];
                        p[j] = saved + h;
                        double plus = loss(model, w, a, b, batch, dropouts) * scale;
                        p[j] = saved - h;
                        double minus = loss(model, w, a, b, batch, dropouts) * scale;
                        p[j] = saved;
                        double numeric = (plus - minus) / (2 * h);
                        double analytic = (isA ? gradA : gradB)[slot][j];
                        assertThat(analytic).as("%s %s[%d]", w.slots().get(slot), isA ? "A" : "B", j)
                                .isCloseTo(numeric, org.assertj.core.api.Assertions.within(
                                        1e-6 + 1e-5 * Math.abs(numeric)));
                        checked++;
                    }
                }
            }
            assertThat(checked).isEqualTo(24);
            // Not all zero: the check would be vacuous otherwise.
            assertThat(java.util.Arrays.stream(gradA[0]).map(Math::abs).max().orElseThrow()).isGreaterThan(1e-4);
        }
    }

    /** The loss is the same whether the vocabulary is split into chunks or not. */
    @ParameterizedTest
    @MethodSource("variants")
    void chunkedOutputLayerGivesTheSameLossAsOneChunk(Variant variant) {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), variant, dir.resolve("m.gguf"));
        try (TransformerModel model = TransformerModel.load(file, DataType.FLOAT64)) {
            LoraWeights w = LoraWeights.initialize(model.config(), LoraConfig.of(2, 3));
            SplittableRandom r = new SplittableRandom(3);
            List<TrainingSequence> batch = List.of(sequence(r, model, 10));
            List<Dropout> none = List.of(Dropout.NONE);
            double whole = model.lossAndGradients(batch, LoraTensors.of(w), none, 1, (s, isA, g) -> { })[0];
            model.vocabChunkRows(7);
            double chunked = model.lossAndGradients(batch, LoraTensors.of(w), none, 1, (s, isA, g) -> { })[0];
            assertThat(chunked).isCloseTo(whole, org.assertj.core.api.Assertions.within(1e-10));
            // and equals the cross-entropy of the full logits
            TrainingSequence seq = batch.get(0);
            float[][] logits = model.forward(seq.tokens(), w, false);
            double expected = 0;
            for (int i = 1; i < seq.tokens().length; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (float v : logits[i - 1]) max = Math.max(max, v);
                double sum = 0;
                for (float v : logits[i - 1]) sum += Math.exp(v - max);
                expected += seq.lossWeights()[i] * (Math.log(sum) + max - logits[i - 1][seq.tokens()[i]]);
            }
            assertThat(whole).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-4 * Math.abs(expected)));
        }
    }

    private static TrainingSequence sequence(SplittableRandom r, TransformerModel model, int length) {
        int[] tokens = new int[length];
        float[] weights = new float[length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = r.nextInt(model.config().vocabSize());
            weights[i] = i == 0 ? 0 : (float) r.nextDouble(0.2, 1.5);
        }
        weights[length / 2] = 0; // a masked position
        return new TrainingSequence(tokens, weights);
    }

    private static double loss(TransformerModel model, LoraWeights w, double[][] a, double[][] b,
            List<TrainingSequence> batch, List<Dropout> dropouts) {
        double sum = 0;
        for (double l : model.lossAndGradients(batch, LoraTensors.of(w, a, b), dropouts, 1, (s, isA, g) -> { })) {
            sum += l;
        }
        return sum;
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
