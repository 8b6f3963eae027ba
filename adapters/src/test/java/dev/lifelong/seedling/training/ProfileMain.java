package dev.lifelong.seedling.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Map;
import java.util.SplittableRandom;

/** Where a training pass of the default config spends its time (by hand, not a test). Args: length, batch, threads. */
public final class ProfileMain {
    private ProfileMain() {
    }

    public static void main(String[] args) {
        int len = Integer.parseInt(args[0]);
        int batch = Integer.parseInt(args[1]);
        FullModel.computeThreads(Integer.parseInt(args[2]));
        SeedlingModelConfig c = SeedlingModelConfig.defaults();
        FullModel model = FullModel.initialize(c, 1);
        SplittableRandom r = new SplittableRandom(1);
        int[][] tokens = new int[batch][len];
        float[][] weights = new float[batch][len];
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < len; k++) {
                tokens[b][k] = r.nextInt(c.vocabSize());
                weights[b][k] = k == 0 ? 0 : 1;
            }
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) { // what the machine gives right now
            NDArray a = m.randomNormal(new ai.djl.ndarray.types.Shape(1024, 1024));
            a.matMul(a).getFloat(0, 0);
            long g0 = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                a.matMul(a).getFloat(0, 0);
            }
            System.out.printf("GEMM 1024^3: %.1f GFLOP/s%n", 5 * 2.0 * 1024 * 1024 * 1024 / ((System.nanoTime() - g0) / 1e9) / 1e9);
        }
        for (int rep = 0; rep < 3; rep++) {
            try (NDManager m = NDManager.newBaseManager("PyTorch")) {
                long t0 = System.nanoTime();
                Map<String, NDArray> w = model.arrays(m, DataType.FLOAT32, true);
                long t1 = System.nanoTime();
                long t2;
                long t3;
                try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = FullModel.weightedLoss(c, w, m, tokens, weights);
                    loss.getFloat();
                    t2 = System.nanoTime();
                    g.backward(loss);
                    t3 = System.nanoTime();
                }
                for (NDArray a : w.values()) {
                    a.getGradient().toFloatArray();
                }
                long t4 = System.nanoTime();
                System.out.printf("arrays %.2f s, forward %.2f s, backward %.2f s, grads out %.2f s%n", (t1 - t0) / 1e9,
                        (t2 - t1) / 1e9, (t3 - t2) / 1e9, (t4 - t3) / 1e9);
            }
        }
    }
}
