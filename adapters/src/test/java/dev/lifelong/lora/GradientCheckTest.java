package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Autograd's LoRA gradients against central finite differences, in float64, with B nonzero. */
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
            LoraWeights w = LoraWeights.initialize(model.config(), LoraConfig.of(2, 3).withAlpha(3f));
            SplittableRandom r = new SplittableRandom(11);
            for (int i = 0; i < w.slots().size(); i++) {
                float[] b = w.b(i);
                for (int j = 0; j < b.length; j++) {
                    b[j] = (float) r.nextDouble(-0.5, 0.5);
                }
            }
            int[] tokens = new int[12];
            float[] weights = new float[12];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = r.nextInt(model.config().vocabSize());
                weights[i] = i == 0 ? 0 : (float) r.nextDouble(0.2, 1.5);
            }
            weights[5] = 0; // a masked position
            TrainingSequence seq = new TrainingSequence(tokens, weights);

            double[][] a = new double[w.slots().size()][];
            double[][] b = new double[w.slots().size()][];
            for (int i = 0; i < a.length; i++) {
                a[i] = toDouble(w.a(i));
                b[i] = toDouble(w.b(i));
            }
            double[][] gradA = new double[a.length][];
            double[][] gradB = new double[a.length][];
            try (NDManager m = model.manager().newSubManager()) {
                LoraTensors t = tensors(m, w, a, b);
                for (int i = 0; i < a.length; i++) {
                    t.a[i].setRequiresGradient(true);
                    t.b[i].setRequiresGradient(true);
                }
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    c.backward(model.weightedLoss(m, seq, t, Dropout.NONE));
                }
                for (int i = 0; i < a.length; i++) {
                    gradA[i] = t.a[i].getGradient().toDoubleArray();
                    gradB[i] = t.b[i].getGradient().toDoubleArray();
                }
            }
            double h = 1e-6;
            int checked = 0;
            for (int slot : new int[] {0, 3, 6, w.slots().size() - 1}) {
                for (int k = 0; k < 3; k++) {
                    for (boolean isA : new boolean[] {true, false}) {
                        double[] p = isA ? a[slot] : b[slot];
                        int j = r.nextInt(p.length);
                        double saved = p[j];
                        p[j] = saved + h;
                        double plus = loss(model, w, a, b, seq);
                        p[j] = saved - h;
                        double minus = loss(model, w, a, b, seq);
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

    private static double loss(TransformerModel model, LoraWeights w, double[][] a, double[][] b,
            TrainingSequence seq) {
        try (NDManager m = model.manager().newSubManager()) {
            return model.weightedLoss(m, seq, tensors(m, w, a, b), Dropout.NONE).getDouble();
        }
    }

    private static LoraTensors tensors(NDManager m, LoraWeights w, double[][] a, double[][] b) {
        NDArray[] na = new NDArray[a.length];
        NDArray[] nb = new NDArray[a.length];
        int r = w.config().rank();
        for (int i = 0; i < a.length; i++) {
            LoraWeights.Slot s = w.slots().get(i);
            na[i] = m.create(a[i], new Shape(r, s.in()));
            nb[i] = m.create(b[i], new Shape(s.out(), r));
        }
        return LoraTensors.of(w, na, nb);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
