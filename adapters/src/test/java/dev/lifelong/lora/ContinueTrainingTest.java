package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.gguf.RandomLlamaModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The nightly update continues from the serving adapter, optionally pulled toward it by an L2 term. */
class ContinueTrainingTest {
    @TempDir Path dir;

    @BeforeAll
    static void torchThreads() {
        Reference.singleThreadedTorch();
    }

    static List<TrainingSequence> data(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TrainingSequence> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int n = 12;
            int[] tokens = new int[n];
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = RandomLlamaModel.BASE_VOCAB + r.nextInt(95);
                w[i] = i < 3 ? 0f : 1f;
            }
            out.add(new TrainingSequence(tokens, w));
        }
        return out;
    }

    static double distance(LoraWeights a, LoraWeights b) {
        double sq = 0;
        for (int i = 0; i < a.slots().size(); i++) {
            for (int k = 0; k < a.a(i).length; k++) sq += Math.pow(a.a(i)[k] - b.a(i)[k], 2);
            for (int k = 0; k < a.b(i).length; k++) sq += Math.pow(a.b(i)[k] - b.b(i)[k], 2);
        }
        return Math.sqrt(sq);
    }

    @Test
    void anAdapterReadBackContinuesWhereItStoppedAndTheAnchorHoldsItNear() throws Exception {
        Path base = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("base.gguf"));
        TrainingConfig config = TrainingConfig.defaults().withLr(1e-2f).withWarmup(0).withEpochs(4);
        LoraConfig lora = LoraConfig.of(4, 1);
        try (TransformerModel m = TransformerModel.load(base)) {
            LoraTrainer first = new LoraTrainer(m, lora, config, null);
            first.train(data(6, 1), p -> { });
            Path v1 = GgufLoraWriter.write(dir.resolve("v1.gguf"), m.config(), first.weights());
            LoraWeights read = GgufLoraReader.read(v1, m.config(), 1);
            assertThat(distance(read, first.weights())).isZero();
            assertThat(read.config().rank()).isEqualTo(4);
            assertThat(read.config().alpha()).isEqualTo(8f);
            // Continuing starts from the adapter: before any step it gives exactly its logits.
            int[] probe = data(1, 9).get(0).tokens();
            assertThat(m.forward(probe, read, false)).isDeepEqualTo(m.forward(probe, first.weights(), false));

            List<TrainingSequence> nextDay = data(6, 2);
            LoraTrainer free = new LoraTrainer(m, lora, config, null);
            free.startFrom(read, 0f);
            free.train(nextDay, p -> { });
            LoraTrainer anchored = new LoraTrainer(m, lora, config, null);
            anchored.startFrom(read, 50f);
            anchored.train(nextDay, p -> { });
            double freeMoved = distance(free.weights(), read);
            double anchoredMoved = distance(anchored.weights(), read);
            assertThat(freeMoved).isPositive();
            assertThat(anchoredMoved).isLessThan(freeMoved / 2);

            LoraTrainer wrongRank = new LoraTrainer(m, LoraConfig.of(8, 1), config, null);
            assertThatThrownBy(() -> wrongRank.startFrom(read, 0f)).hasMessageContaining("rank 4");
        }
        TransformerConfig cfg;
        try (var f = dev.lifelong.gguf.GgufReader.read(base)) {
            cfg = TransformerConfig.from(f);
        }
        assertThatThrownBy(() -> GgufLoraReader.read(base, cfg, 1)).hasMessageContaining("not a LoRA adapter");
    }
}
