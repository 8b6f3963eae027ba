package dev.lifelong.lora;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A training run in a process of its own, for the kill -9 test. Args: mode (full | crash | resume), base model,
 * checkpoint file, adapter output. "crash" prints "AT <step>" after step 5 (its checkpoint of step 4 written) and
 * waits to be killed.
 */
public final class ResumeMain {
    static final int CRASH_AFTER = 5;

    private ResumeMain() {
    }

    static List<TrainingSequence> data() {
        SplittableRandom r = new SplittableRandom(21);
        List<TrainingSequence> out = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            int n = 12 + r.nextInt(8);
            int[] tokens = new int[n];
            float[] w = new float[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = dev.lifelong.gguf.RandomLlamaModel.BASE_VOCAB + r.nextInt(95);
                w[i] = i < 3 ? 0f : 1f;
            }
            out.add(new TrainingSequence(tokens, w));
        }
        return out;
    }

    static TrainingConfig config() {
        return TrainingConfig.defaults().withLr(5e-3f).withWarmup(2).withEpochs(3).withGradAccumulation(2)
                .withSeed(5).withCheckpointEvery(2);
    }

    static LoraConfig lora() {
        return LoraConfig.of(4, 3).withDropout(0.1f);
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        Path base = Path.of(args[1]);
        Path ckpt = Path.of(args[2]);
        Path adapter = Path.of(args[3]);
        TransformerModel.computeThreads(1); // the comparison is bit-for-bit: no thread-count-dependent reductions
        try (TransformerModel model = TransformerModel.load(base)) {
            LoraTrainer trainer = new LoraTrainer(model, lora(), config(), ckpt);
            TrainingListener listener = p -> {
                if (mode.equals("crash") && p.step() == CRASH_AFTER) {
                    System.out.println("AT " + p.step());
                    System.out.flush();
                    try {
                        Thread.sleep(120_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            TrainingResult r = mode.equals("resume") ? trainer.resume(ckpt, data(), listener)
                    : trainer.train(data(), listener);
            GgufLoraWriter.write(adapter, model.config(), trainer.weights());
            System.out.println("RESULT " + r.steps() + " " + r.finalLoss() + " " + r.lossHistory());
        }
    }
}
