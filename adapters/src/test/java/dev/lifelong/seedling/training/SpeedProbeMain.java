package dev.lifelong.seedling.training;

import dev.lifelong.lora.TrainingSequence;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Training throughput of the default seedling config (not a test: run by hand, it takes minutes). Args: sequence
 * length, batch size, steps, threads [, nLayer, nEmbd, nHead, nHeadKv, nFf for another shape]. Prints tokens/s per optimizer step and the implied FLOP rate.
 */
public final class SpeedProbeMain {
    private SpeedProbeMain() {
    }

    public static void main(String[] args) {
        int len = Integer.parseInt(args[0]);
        int batch = Integer.parseInt(args[1]);
        int steps = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        SeedlingModelConfig d = SeedlingModelConfig.defaults();
        SeedlingModelConfig c = args.length < 9 ? d : new SeedlingModelConfig(d.vocabSize(), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]),
                Integer.parseInt(args[8]), d.contextLength(), d.ropeTheta(), d.rmsEps(), d.tiedEmbeddings());
        System.out.printf("params %d, training FLOPs/token at t=%d: %.3g%n", c.parameterCount(), len,
                c.trainingFlopsPerToken(len));
        SplittableRandom r = new SplittableRandom(1);
        List<TrainingSequence> data = new ArrayList<>();
        for (int i = 0; i < batch * steps; i++) {
            int[] t = new int[len];
            for (int k = 0; k < len; k++) {
                t[k] = r.nextInt(c.vocabSize());
            }
            data.add(TrainingSequence.allTokens(t));
        }
        SeedlingTrainingConfig tc = SeedlingTrainingConfig.defaults(steps).withBatch(batch, 1).withThreads(threads)
                .withSeed(1);
        long[] last = {System.nanoTime()};
        new FullTrainer(c, tc, null).train(data, p -> {
            long now = System.nanoTime();
            double s = (now - last[0]) / 1e9;
            last[0] = now;
            double tps = batch * len / s;
            System.out.printf("step %d loss %.3f: %.2f s, %.0f tokens/s, %.1f GFLOP/s%n", p.step(), p.loss(), s, tps,
                    tps * c.trainingFlopsPerToken(len) / 1e9);
        });
    }
}
