package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * FLOPs of a LoRA training step and the matmul speed of this machine, for estimates and for model FLOPs utilisation.
 * A frozen weight costs 2·in·out per token forward and 2·in·out backward (the input gradient only); LoRA factors cost
 * 2·r·(in+out) forward and twice that backward; attention scores cost 2·2·n·ctx·d forward, twice that backward.
 */
public final class TrainingFlops {
    private TrainingFlops() {}

    /** Average FLOPs per trained token for sequences of about {@code cfg} context/4 tokens. */
    public static double perToken(TransformerConfig cfg, LoraConfig lora) {
        return perToken(cfg, lora, 512);
    }

    public static double perToken(TransformerConfig cfg, LoraConfig lora, int seqLen) {
        double frozen = 0;
        for (LoraTarget t : LoraTarget.values()) frozen += 2.0 * t.inFeatures(cfg) * t.outFeatures(cfg);
        double adapters = 0;
        for (LoraTarget t : lora.targets()) adapters += 2.0 * lora.rank() * (t.inFeatures(cfg) + t.outFeatures(cfg));
        double attention = 2.0 * 2.0 * (seqLen / 2.0) * cfg.qDim();
        double perLayerForward = frozen + adapters + attention;
        double perLayerBackward = frozen + 2 * adapters + 2 * attention;
        double head = 2.0 * cfg.nEmbd() * cfg.vocabSize();
        return cfg.nLayer() * (perLayerForward + perLayerBackward) + 2 * head;
    }

    /**
     * GFLOPS of a plain fp32 2048 x 2048 x 2048 matmul in PyTorch on this machine, on the current PyTorch threads: the
     * best of several runs, i.e. what the hardware gives a large GEMM (the denominator of model FLOPs utilisation).
     */
    public static double measureMatmulGflops() {
        int n = 2048;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long s = System.nanoTime();
                NDArray c = a.matMul(b); // PyTorch on the CPU computes eagerly: the call returns when the product is done
                best = Math.min(best, (System.nanoTime() - s) / 1e9);
                c.close();
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }
}
