package dev.lifelong.seedling.training;

import dev.lifelong.lora.TrainingSequence;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Trains a tiny model briefly and prints the exact final loss, to compare runs (by hand). Arg: threads, tied. */
public final class RepeatMain {
    private RepeatMain() {
    }

    public static void main(String[] args) {
        SeedlingModelConfig c = Seedlings.tiny(Boolean.parseBoolean(args[1]));
        SplittableRandom r = new SplittableRandom(3);
        List<TrainingSequence> data = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int[] t = new int[20 + 7 * i];
            for (int k = 0; k < t.length; k++) {
                t[k] = 261 + r.nextInt(30);
            }
            data.add(TrainingSequence.allTokens(t));
        }
        FullTrainer.Result res = new FullTrainer(c, SeedlingTrainingConfig.defaults(150).withLr(3e-3f).withWarmup(10)
                .withBatch(3, 1).withSeed(1).withThreads(Integer.parseInt(args[0])), null).train(data,
                dev.lifelong.lora.TrainingListener.NONE);
        System.out.println("FINAL " + res.finalLoss() + " " + Float.floatToIntBits(FullTrainerAccess.sum(res)));
    }

    static final class FullTrainerAccess {
        static float sum(FullTrainer.Result r) {
            return (float) r.lossHistory().stream().mapToDouble(Double::doubleValue).sum();
        }
    }
}
