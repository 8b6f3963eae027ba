package dev.lifelong.assistant.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.TrainingFlops;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The GEMM rates the training benchmark compares a training run with, measured in a PyTorch process of its own (as
 * the trainer's is: no llama.cpp in it, the same environment from {@link dev.lifelong.lora.ChildJvm}): a plain fp32
 * 2048³ product (the denominator of model FLOPs utilisation, as before), and fp32 and fp16 at the shape of the
 * model's largest training GEMM ([seq × width] · [width × ffn]). bfloat16 is not measured: DJL 0.35.1 aborts the JVM
 * when it creates a bfloat16 tensor (decision 023). Prints one line {@code GEMM {json}}.
 */
public final class GemmRate {
    private GemmRate() {}

    public static void main(String[] args) throws Exception {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(4)));
        int m = Integer.parseInt(args[0]);
        int k = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("fp32_2048", TrainingFlops.measureMatmulGflops());
        r.put("fp32_model", gflops(m, k, n, DataType.FLOAT32, 5));
        // 16-bit GEMM on this CPU path is ~100x slower than fp32 (decision 023), so fewer repetitions
        r.put("fp16_model", gflops(m, k, n, DataType.FLOAT16, 2));
        System.out.println("GEMM " + new ObjectMapper().writeValueAsString(r));
        System.out.flush();
        System.exit(0);
    }

    /** Best of {@code repetitions} timed products (after one untimed), in GFLOPS. */
    static double gflops(int m, int k, int n, DataType type, int repetitions) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new Shape(m, k)).toType(type, false);
            NDArray b = manager.randomNormal(new Shape(k, n)).toType(type, false);
            a.matMul(b).close();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < repetitions; i++) {
                long s = System.nanoTime();
                NDArray c = a.matMul(b); // PyTorch on the CPU computes eagerly: the call returns when the product is done
                best = Math.min(best, (System.nanoTime() - s) / 1e9);
                c.close();
            }
            return 2.0 * m * k * n / best / 1e9;
        }
    }
}
