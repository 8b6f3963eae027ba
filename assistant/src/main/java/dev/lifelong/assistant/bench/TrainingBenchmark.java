package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.ModelTwins;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.lora.ChildJvm;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.MemoryPlan;
import dev.lifelong.lora.TrainerProcess;
import dev.lifelong.lora.TrainingConfig;
import dev.lifelong.lora.TrainingFlops;
import dev.lifelong.lora.TrainingJob;
import dev.lifelong.lora.TrainingSequence;
import dev.lifelong.lora.TransformerConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Speed of LoRA training as the product runs it: each model is trained in a child JVM through {@link TrainerProcess}
 * (the nightly update's path: memory plan, 16-bit base weights, layer-by-layer checkpointed backward pass). Reports
 * tokens/s over the steps after the first (timed here as the child reports each step), achieved GFLOPS (model FLOPs
 * from {@link TrainingFlops}; the recomputed forward of the checkpointed backward pass is not counted, so this is
 * model FLOPs utilisation), the GEMM rates of this machine measured in a separate PyTorch process right before
 * ({@link GemmRate}: fp32 2048³, and fp32 and fp16 at the model's own GEMM shape), and the child's peak resident
 * memory against its plan. The default run trains the twins of SmolLM2-360M and Qwen2.5-0.5B (exact shapes, random
 * weights: speed does not depend on weight values) and the seedling when it is installed; {@code --quick} trains the
 * tiny test model through the same path.
 */
public final class TrainingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingBenchmark() {}

    /** A model to train: what to call it, its file, the sequence length and how many steps to time. */
    record Subject(String label, Path file, int seqLen, int timedSteps, String goal) {}

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out.resolve("models"));
        List<Subject> subjects = new ArrayList<>();
        if (quick) {
            Path tiny = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), out.resolve("models").resolve("tiny.gguf"));
            subjects.add(new Subject("tiny test model (pipeline check only)", tiny, 64, 2, "—"));
        } else {
            Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
            if (Files.isRegularFile(seedling)) subjects.add(new Subject("the seedling (default model)", seedling, 256, 8, "mfu >= 0.5"));
            for (ModelTwins.Twin twin : List.of(ModelTwins.SMOLLM2_360M, ModelTwins.QWEN25_05B)) {
                subjects.add(new Subject(twin.displayName(), BenchModels.twin(twin), 256, 3, "mfu >= 0.5"));
            }
        }
        List<Map<String, Object>> figures = new ArrayList<>();
        for (Subject s : subjects) {
            System.err.println("training benchmark: " + s.label() + " ...");
            figures.add(measure(s, out.resolve("training-work")));
        }
        return figures;
    }

    static Map<String, Object> measure(Subject subject, Path work) throws Exception {
        Files.createDirectories(work);
        TransformerConfig cfg;
        try (GgufFile gguf = GgufReader.read(subject.file())) {
            cfg = TransformerConfig.from(gguf);
        }
        // the product's LoRA (UpdateSettings.defaults(): rank 8, alpha 16, all seven projections)
        LoraConfig lora = LoraConfig.of(8, 1);
        int steps = subject.timedSteps() + 1;
        Map<String, Double> gemm = gemmRates(subject.seqLen(), cfg.nEmbd(), cfg.nFf());

        SplittableRandom rnd = new SplittableRandom(7);
        List<TrainingSequence> data = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            int[] tokens = new int[subject.seqLen()];
            for (int t = 0; t < tokens.length; t++) tokens[t] = rnd.nextInt(cfg.vocabSize());
            data.add(TrainingSequence.allTokens(tokens));
        }
        String name = subject.file().getFileName().toString().replace(".gguf", "");
        Path adapter = work.resolve(name + "-bench-lora.gguf");
        Path checkpoint = work.resolve(name + "-bench.ckpt");
        Files.deleteIfExists(adapter);
        Files.deleteIfExists(checkpoint);
        TrainingConfig training = TrainingConfig.defaults().withMaxSteps(steps).withWarmup(0).withSeed(1);
        // threads 0: PyTorch's default, as the nightly update runs (UpdateSettings.defaults().threads())
        TrainingJob job = new TrainingJob(subject.file(), lora, training, work.resolve(name + "-bench.seqs"), checkpoint, adapter, 0);
        long[] stepEnds = new long[steps + 1];
        int[] seen = {0};
        long start = System.nanoTime();
        TrainerProcess.Outcome outcome = TrainerProcess.run(job, data, p -> {
            if (seen[0] < stepEnds.length) stepEnds[seen[0]++] = System.nanoTime();
        });
        double totalSeconds = (System.nanoTime() - start) / 1e9;
        if (seen[0] != steps) throw new IllegalStateException("the trainer reported " + seen[0] + " steps, not " + steps);
        Files.deleteIfExists(adapter);
        // the first step carries the process's start-up; time the others
        double seconds = (stepEnds[steps - 1] - stepEnds[0]) / 1e9;
        double tokensPerSecond = (double) subject.timedSteps() * subject.seqLen() / seconds;
        double flopsPerToken = TrainingFlops.perToken(cfg, lora, subject.seqLen());
        double achieved = tokensPerSecond * flopsPerToken / 1e9;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "training");
        f.put("model", subject.label());
        f.put("shape", cfg.nLayer() + " layers, width " + cfg.nEmbd() + ", ffn " + cfg.nFf() + ", vocab " + cfg.vocabSize());
        f.put("lora", "rank 8 on q,k,v,o,gate,up,down");
        f.put("path", "child JVM (TrainerProcess), 16-bit base weights, checkpointed backward pass");
        f.put("seq_len", subject.seqLen());
        f.put("steps_timed", subject.timedSteps());
        f.put("tokens_per_s", ServingBenchmark.round(tokensPerSecond));
        f.put("gflop_per_token", ServingBenchmark.round(flopsPerToken / 1e9));
        f.put("achieved_gflops", ServingBenchmark.round(achieved));
        f.put("gemm_fp32_2048_gflops", ServingBenchmark.round(gemm.get("fp32_2048")));
        f.put("gemm_model_shape", subject.seqLen() + "×" + cfg.nEmbd() + "·" + cfg.nEmbd() + "×" + cfg.nFf());
        f.put("gemm_fp32_model_gflops", ServingBenchmark.round(gemm.get("fp32_model")));
        f.put("gemm_fp16_model_gflops", ServingBenchmark.round(gemm.get("fp16_model")));
        f.put("gemm_bf16", "not measured: DJL 0.35.1 aborts the JVM when it creates a bfloat16 tensor (decision 023)");
        f.put("mfu", ServingBenchmark.round(achieved / gemm.get("fp32_2048")));
        f.put("goal", subject.goal());
        f.put("final_loss", ServingBenchmark.round(outcome.result().finalLoss()));
        f.put("peak_rss_mib", outcome.peakResidentBytes() < 0 ? -1 : outcome.peakResidentBytes() >> 20);
        f.put("planned_mib", outcome.plan().totalBytes() >> 20);
        f.put("threads", Runtime.getRuntime().availableProcessors());
        f.put("machine", MachineInfo.describe());
        f.put("total_seconds", ServingBenchmark.round(totalSeconds));
        return f;
    }

    /** {@link GemmRate} in a PyTorch process of its own; its rates in GFLOPS. */
    static Map<String, Double> gemmRates(int m, int k, int n) throws IOException, InterruptedException {
        MemoryPlan plan = new MemoryPlan("GEMM measurement", 0, 0, 256L << 20, 256L << 20);
        Process p = ChildJvm.builder(plan, GemmRate.class, String.valueOf(m), String.valueOf(k), String.valueOf(n))
                .redirectErrorStream(true).start();
        Map<String, Double> rates = null;
        List<String> tail = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("GEMM ")) {
                    JsonNode n2 = JSON.readTree(line.substring(5));
                    rates = new LinkedHashMap<>();
                    for (String key : List.of("fp32_2048", "fp32_model", "fp16_model")) rates.put(key, n2.get(key).asDouble());
                } else if (tail.size() < 20) {
                    tail.add(line);
                }
            }
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
        int exit = p.waitFor();
        if (exit != 0 || rates == null) {
            throw new IllegalStateException("the GEMM measurement process ended with exit code " + exit + ": " + String.join(" | ", tail));
        }
        return rates;
    }
}
