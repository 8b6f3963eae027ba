package dev.lifelong.seedling.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Float64 gradient check of the full model in a process of its own (no llama.cpp): autograd gradients of a padded
 * batch's weighted loss against central finite differences, for a few entries of every kind of tensor. Also checks
 * that a padded batch's loss equals the sum of its rows' losses. Arg: tied (true/false). Prints "MAXERR x",
 * "CHECKED n" and "PADDING x".
 */
public final class GradCheckMain {
    private GradCheckMain() {
    }

    public static void main(String[] args) {
        boolean tied = Boolean.parseBoolean(args[0]);
        FullModel.computeThreads(1);
        SeedlingModelConfig c = new SeedlingModelConfig(20, 2, 8, 2, 1, 12, 16, 10000f, 1e-5f, tied);
        FullModel model = FullModel.initialize(c, 3);
        for (FullModel.Tensor t : model.tensors()) { // larger weights, so every path carries a sizeable gradient
            float[] v = model.values(t.name());
            for (int i = 0; i < v.length; i++) {
                v[i] = t.isMatrix() ? v[i] * 15 : 1f + 0.1f * (i % 3);
            }
        }
        int[][] tokens = {{1, 5, 9, 3, 17, 2, 11}, {4, 8, 15, 16, 19}};
        float[][] weights = {{0, 1, 0.5f, 1, 0, 1, 2}, {0, 1, 1, 0.25f, 1}};
        double maxErr = 0;
        int checked = 0;
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Map<String, NDArray> w = model.arrays(m, DataType.FLOAT64, true);
            try (GradientCollector g = Engine.getInstance().newGradientCollector()) {
                g.backward(FullModel.weightedLoss(c, w, m, tokens, weights));
            }
            double h = 1e-6;
            for (FullModel.Tensor t : model.tensors()) {
                double[] grad = w.get(t.name()).getGradient().toDoubleArray();
                for (int k = 0; k < 3; k++) {
                    int idx = (int) Math.floorMod(FullModel.mix(t.name().hashCode(), k), (long) t.size());
                    double fd = (loss(c, model, m, t, idx, h, tokens, weights)
                            - loss(c, model, m, t, idx, -h, tokens, weights)) / (2 * h);
                    double err = Math.abs(grad[idx] - fd) / (1e-4 + Math.abs(fd));
                    System.out.printf("%s[%d] autograd %.9g fd %.9g%n", t.name(), idx, grad[idx], fd);
                    maxErr = Math.max(maxErr, err);
                    checked++;
                }
            }
            double both = loss(c, model, m, null, 0, 0, tokens, weights);
            double one = loss(c, model, m, null, 0, 0, new int[][] {tokens[0]}, new float[][] {weights[0]});
            double two = loss(c, model, m, null, 0, 0, new int[][] {tokens[1]}, new float[][] {weights[1]});
            System.out.println("PADDING " + Math.abs(both - one - two) / Math.abs(both));
        }
        System.out.println("MAXERR " + maxErr);
        System.out.println("CHECKED " + checked);
    }

    private static double loss(SeedlingModelConfig c, FullModel model, NDManager parent, FullModel.Tensor changed,
            int idx, double delta, int[][] tokens, float[][] weights) {
        try (NDManager m = parent.newSubManager()) {
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (FullModel.Tensor t : model.tensors()) {
                float[] f = model.values(t.name());
                double[] d = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    d[i] = f[i];
                }
                if (t == changed) {
                    d[idx] += delta;
                }
                long[] shape = java.util.Arrays.stream(t.shape()).asLongStream().toArray();
                w.put(t.name(), m.create(d, new Shape(shape)));
            }
            return FullModel.weightedLoss(c, w, m, tokens, weights).getDouble();
        }
    }
}
