package dev.lifelong.assistant.bench;

import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.LoraTrainer;
import dev.lifelong.lora.TrainingConfig;
import dev.lifelong.lora.TrainingFlops;
import dev.lifelong.lora.TrainingResult;
import dev.lifelong.lora.TrainingSequence;
import dev.lifelong.lora.TransformerConfig;
import dev.lifelong.lora.TransformerModel;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Speed of a LoRA training step: tokens/s and achieved GFLOPS (forward + backward FLOPs counted by
 * {@link TrainingFlops}) against a plain PyTorch fp32 matmul measured in the same run on the same threads, i.e. model
 * FLOPs utilisation; plus peak resident memory. Models: the tiny test model and the default model (the seedling when
 * it is installed, else a random-weight model with SmolLM2-360M's shapes, which trains at the same speed).
 */
public final class TrainingBenchmark {
    private TrainingBenchmark() {}

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out.resolve("models"));
        List<Map<String, Object>> figures = new ArrayList<>();
        Path tiny = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), out.resolve("models").resolve("tiny.gguf"));
        figures.add(measure("tiny", tiny, 128, quick ? 4 : 8));
        if (!quick) {
            Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
            Path model;
            String label;
            if (Files.isRegularFile(seedling)) {
                model = seedling;
                label = "default (seedling)";
            } else {
                model = out.resolve("models").resolve("random-smollm2-360m-shape-f16.gguf");
                if (!Files.exists(model)) RandomLlamaModel.write(RandomLlamaModel.Spec.smollm2_360m().withWeightType(GgmlType.F16), model);
                label = "SmolLM2-360M shape (random weights; the seedling is not built yet)";
            }
            figures.add(measure(label, model, 256, 3));
        }
        return figures;
    }

    static Map<String, Object> measure(String label, Path modelFile, int seqLen, int steps) {
        double matmulGflops = TrainingFlops.measureMatmulGflops();
        try (TransformerModel model = TransformerModel.load(modelFile)) {
            TransformerConfig cfg = model.config();
            LoraConfig lora = LoraConfig.of(8, 1);
            TrainingConfig training = TrainingConfig.defaults().withMaxSteps(steps + 1).withWarmup(0).withSeed(1);
            SplittableRandom rnd = new SplittableRandom(7);
            List<TrainingSequence> data = new ArrayList<>();
            for (int i = 0; i < steps + 1; i++) {
                int[] tokens = new int[seqLen];
                float[] weights = new float[seqLen];
                for (int t = 0; t < seqLen; t++) {
                    tokens[t] = rnd.nextInt(cfg.vocabSize());
                    weights[t] = t == 0 ? 0 : 1;
                }
                data.add(new TrainingSequence(tokens, weights));
            }
            long[] stepEnds = new long[steps + 2];
            int[] seen = {0};
            LoraTrainer trainer = new LoraTrainer(model, lora, training, null);
            long start = System.nanoTime();
            TrainingResult result = trainer.train(data, p -> stepEnds[seen[0]++] = System.nanoTime());
            // the first step warms PyTorch up; time the others
            double seconds = (stepEnds[steps] - stepEnds[0]) / 1e9;
            double tokensPerSecond = (double) steps * seqLen / seconds;
            double flopsPerToken = TrainingFlops.perToken(cfg, lora, seqLen);
            double achieved = tokensPerSecond * flopsPerToken / 1e9;
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("bench", "training");
            f.put("model", label);
            f.put("shape", cfg.nLayer() + " layers, width " + cfg.nEmbd() + ", ffn " + cfg.nFf() + ", vocab " + cfg.vocabSize());
            f.put("lora", "rank 8 on q,k,v,o,gate,up,down");
            f.put("seq_len", seqLen);
            f.put("steps_timed", steps);
            f.put("tokens_per_s", ServingBenchmark.round(tokensPerSecond));
            f.put("gflop_per_token", ServingBenchmark.round(flopsPerToken / 1e9));
            f.put("achieved_gflops", ServingBenchmark.round(achieved));
            f.put("matmul_gflops_fp32", ServingBenchmark.round(matmulGflops));
            f.put("mfu", ServingBenchmark.round(achieved / matmulGflops));
            f.put("goal", "mfu >= 0.5 on the default model");
            f.put("final_loss", ServingBenchmark.round(result.finalLoss()));
            f.put("peak_rss_mib", peakRssMib());
            f.put("threads", Runtime.getRuntime().availableProcessors());
            f.put("machine", MachineInfo.describe());
            f.put("total_seconds", ServingBenchmark.round((System.nanoTime() - start) / 1e9));
            return f;
        }
    }

    static long peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return -1;
    }
}
