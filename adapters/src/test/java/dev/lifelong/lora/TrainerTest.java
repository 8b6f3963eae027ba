package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    @org.junit.jupiter.api.BeforeAll
    static void torchThreads() {
        Reference.singleThreadedTorch();
    }

    @TempDir
    Path dir;

    private Path model(Variant v) {
        return RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), v, dir.resolve(v.architecture() + ".gguf"));
    }

    private static List<TrainingSequence> data(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<TrainingSequence> out = new ArrayList<>();
        for (int s = 0; s < count; s++) {
            int n = 10 + r.nextInt(10);
            int[] tokens = new int[n];
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = RandomLlamaModel.BASE_VOCAB + r.nextInt(95);
                w[i] = i < 4 ? 0f : 1f; // a "prompt" without loss
            }
            out.add(new TrainingSequence(tokens, w));
        }
        return out;
    }

    @Test
    void freshAdapterGivesExactlyTheBaseLogits() {
        try (TransformerModel m = TransformerModel.load(model(Variant.qwen2()))) {
            int[] tokens = data(1, 5).get(0).tokens();
            LoraWeights fresh = LoraWeights.initialize(m.config(), LoraConfig.of(8, 1));
            float[][] base = m.forward(tokens, null, false);
            float[][] adapted = m.forward(tokens, fresh, false);
            assertThat(adapted).isDeepEqualTo(base);
            // and A is really random, so equality comes from B = 0, not from an empty adapter
            assertThat(fresh.a(0)).isNotEqualTo(new float[fresh.a(0).length]);
        }
    }

    @Test
    void logitsAtPositionsAreRowsOfTheFullForward() {
        try (TransformerModel m = TransformerModel.load(model(Variant.LLAMA))) {
            int[] tokens = data(1, 6).get(0).tokens();
            float[][] all = m.forward(tokens, null, false);
            float[][] some = m.logitsAt(tokens, null, new int[] {tokens.length - 1, 2});
            for (int v = 0; v < all[0].length; v += 17) {
                assertThat(some[0][v]).isCloseTo(all[tokens.length - 1][v], org.assertj.core.api.Assertions.within(1e-5f));
                assertThat(some[1][v]).isCloseTo(all[2][v], org.assertj.core.api.Assertions.within(1e-5f));
            }
        }
    }

    /**
     * A run interrupted after a checkpoint (the listener throws, as a crash would) and resumed by a new trainer on a
     * newly loaded model ends with the same weights and losses as the uninterrupted run. Dropout is on, so its masks
     * must be reproduced too.
     */
    @Test
    void resumedRunEqualsUninterruptedRun() throws Exception {
        Path file = model(Variant.LLAMA);
        List<TrainingSequence> data = data(6, 9);
        LoraConfig lora = LoraConfig.of(4, 2).withDropout(0.1f);
        Path ckpt = dir.resolve("run.ckpt");
        TrainingConfig cfg = TrainingConfig.defaults().withLr(5e-3f).withWarmup(2).withEpochs(3)
                .withGradAccumulation(2).withWeightDecay(0.01f).withSeed(77).withCheckpointEvery(4);

        TrainingResult full;
        LoraWeights fullWeights;
        try (TransformerModel m = TransformerModel.load(file)) {
            LoraTrainer t = new LoraTrainer(m, lora, cfg, dir.resolve("other.ckpt"));
            full = t.train(data, TrainingListener.NONE);
            fullWeights = t.weights().copy();
        }
        assertThat(full.steps()).isEqualTo(9);

        try (TransformerModel m = TransformerModel.load(file)) {
            LoraTrainer t = new LoraTrainer(m, lora, cfg, ckpt);
            assertThatThrownBy(() -> t.train(data, p -> {
                if (p.step() == 4) {
                    throw new IllegalStateException("simulated crash");
                }
            })).hasMessage("simulated crash");
        }
        assertThat(Files.exists(ckpt)).isTrue();
        try (TransformerModel m = TransformerModel.load(file)) {
            LoraTrainer t = new LoraTrainer(m, lora, cfg, ckpt);
            List<Integer> steps = new ArrayList<>();
            TrainingResult resumed = t.resume(ckpt, data, p -> steps.add(p.step()));
            assertThat(steps).containsExactly(5, 6, 7, 8, 9);
            assertThat(resumed.steps()).isEqualTo(9);
            assertThat(resumed.lossHistory()).hasSize(9);
            for (int i = 0; i < 9; i++) {
                assertThat(resumed.lossHistory().get(i))
                        .isCloseTo(full.lossHistory().get(i), org.assertj.core.api.Assertions.within(1e-5));
            }
            for (int s = 0; s < fullWeights.slots().size(); s++) {
                assertClose(t.weights().a(s), fullWeights.a(s));
                assertClose(t.weights().b(s), fullWeights.b(s));
            }
            // the adapter actually moved
            assertThat(fullWeights.b(0)).isNotEqualTo(new float[fullWeights.b(0).length]);
        }
        // a checkpoint is refused for other data
        try (TransformerModel m = TransformerModel.load(file)) {
            LoraTrainer t = new LoraTrainer(m, lora, cfg, ckpt);
            assertThatThrownBy(() -> t.resume(ckpt, data(6, 10), TrainingListener.NONE))
                    .hasMessageContaining("cannot be resumed");
        }
    }

    @Test
    void lossDecreasesOnAMemorisationTask() {
        try (TransformerModel m = TransformerModel.load(model(Variant.qwen2()))) {
            List<TrainingSequence> data = data(2, 3);
            // 30 steps left only 0.30 nats of progress against a 0.3 bar (flaky: float reductions vary from run to
            // run); 60 steps leave a clear margin
            TrainingConfig cfg = TrainingConfig.defaults().withLr(1e-2f).withWarmup(1).withEpochs(30);
            TrainingResult r = new LoraTrainer(m, LoraConfig.of(4, 1), cfg, null).train(data, TrainingListener.NONE);
            assertThat(r.steps()).isEqualTo(60);
            double first = (r.lossHistory().get(0) + r.lossHistory().get(1)) / 2;
            double last = (r.lossHistory().get(58) + r.lossHistory().get(59)) / 2;
            System.out.printf("memorisation: first %.4f last %.4f%n", first, last);
            assertThat(last).isLessThan(first - 0.3);
        }
    }

    @Test
    void sequencesWithoutWeightedTokensAreRejectedClearly() {
        try (TransformerModel m = TransformerModel.load(model(Variant.LLAMA))) {
            LoraTrainer t = new LoraTrainer(m, LoraConfig.of(2, 1), TrainingConfig.defaults(), null);
            assertThatThrownBy(() -> t.train(List.of(new TrainingSequence(new int[] {300, 301}, new float[] {1, 0})),
                    TrainingListener.NONE)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("positive loss weight");
        }
    }

    private static void assertClose(float[] actual, float[] expected) {
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).isCloseTo(expected[i], org.assertj.core.api.Assertions.within(1e-5f));
        }
    }
    /**
     * DJL's number overloads ({@code x.mul(0.125)}) close a scalar that autograd keeps for the backward pass; a
     * collection in between freed it and the backward pass read freed memory (non-finite gradients within 3 steps
     * with this thread running). Training must give the same numbers however often the JVM collects.
     */
    @Test
    void garbageCollectionsDoNotChangeTraining() throws InterruptedException {
        try (TransformerModel m = TransformerModel.load(model(Variant.qwen2()))) {
            List<TrainingSequence> data = data(2, 3);
            TrainingConfig cfg = TrainingConfig.defaults().withLr(1e-2f).withWarmup(1).withEpochs(8);
            List<Double> quiet = new LoraTrainer(m, LoraConfig.of(4, 1), cfg, null).train(data, TrainingListener.NONE)
                    .lossHistory();
            Thread collector = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    System.gc();
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            collector.setDaemon(true);
            collector.start();
            try {
                List<Double> collected = new LoraTrainer(m, LoraConfig.of(4, 1), cfg, null)
                        .train(data, TrainingListener.NONE).lossHistory();
                assertThat(collected).isEqualTo(quiet);
            } finally {
                collector.interrupt();
                collector.join();
            }
        }
    }
}
