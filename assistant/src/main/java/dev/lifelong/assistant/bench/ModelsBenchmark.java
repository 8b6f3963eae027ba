package dev.lifelong.assistant.bench;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.ModelTwins;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.lora.GgufLoraWriter;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.LoraMerger;
import dev.lifelong.lora.LoraWeights;
import dev.lifelong.loop.TrainingReport;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.lora.Trainability;
import dev.lifelong.lora.TransformerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What each catalog model can do on this machine, measured on its exact-shape twin (speed does not depend on weight
 * values): chat (llama.cpp loads it; decode tokens/s with the product's threads), train (the trainability check, then
 * LoRA steps through the trainer process: tokens/s, peak memory against the plan) and merge (an adapter folded into
 * the base as Q8_0 that llama.cpp loads again). The README's "Models" table is generated from its record.
 * {@code --quick} runs the same steps on the tiny random model.
 */
public final class ModelsBenchmark {
    private ModelsBenchmark() {}

    static final int DECODE_TOKENS = 48;

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Path models = Files.createDirectories(out.resolve("models"));
        Map<String, Path> subjects = new LinkedHashMap<>();
        if (quick) {
            subjects.put("tiny test model (pipeline check only)",
                    RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), models.resolve("tiny.gguf")));
        } else {
            for (ModelTwins.Twin twin : ModelTwins.ALL) subjects.put(twin.catalogId(), BenchModels.twin(twin));
        }
        List<Map<String, Object>> figures = new ArrayList<>();
        for (var s : subjects.entrySet()) {
            System.err.println("models benchmark: " + s.getKey() + " ...");
            figures.add(measure(s.getKey(), s.getValue(), out.resolve("models-work"), quick));
        }
        return figures;
    }

    static Map<String, Object> measure(String label, Path file, Path work, boolean quick) throws Exception {
        Files.createDirectories(work);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "models");
        f.put("model", label);
        f.put("file_mib", Files.size(file) >> 20);
        TransformerConfig cfg;
        Trainability trainability;
        try (GgufFile gguf = GgufReader.read(file)) {
            cfg = TransformerConfig.from(gguf);
            trainability = Trainability.of(gguf);
        }
        f.put("shape", cfg.nLayer() + " layers, width " + cfg.nEmbd() + ", vocab " + cfg.vocabSize());
        f.put("chat_decode_tokens_per_s", ServingBenchmark.round(decodeRate(file)));
        f.put("trainable", trainability.trainable());
        f.put("trainability", trainability.summary());
        // what the nightly update with default settings needs (the larger of its training and evaluation processes)
        f.put("nightly_needs_mib", TrainingReport.of(file, UpdateSettings.defaults()).neededBytes() >> 20);
        if (trainability.trainable()) {
            Map<String, Object> t = TrainingBenchmark.measure(
                    new TrainingBenchmark.Subject(label, file, quick ? 64 : 256, 2, "—"), work);
            f.put("train_tokens_per_s", t.get("tokens_per_s"));
            f.put("train_seq_len", t.get("seq_len"));
            f.put("train_peak_rss_mib", t.get("peak_rss_mib"));
            f.put("train_planned_mib", t.get("planned_mib"));
            f.put("merge_seconds", ServingBenchmark.round(mergeSeconds(file, cfg, work)));
        }
        f.put("threads", Runtime.getRuntime().availableProcessors());
        f.put("machine", MachineInfo.describe());
        return f;
    }

    /** Greedy decode of a chat prompt with the product's runtime settings: tokens/s after the first token. */
    static double decodeRate(Path file) {
        RuntimeOptions options = new RuntimeOptions(Runtime.getRuntime().availableProcessors(), 0, 512, 1);
        try (LlamaModel model = new LlamaModel(LlamaRuntime.modelParameters(file, options, List.of()))) {
            InferenceParameters p = new InferenceParameters("Tell me a short story about a fox who finds a lantern.")
                    .setNPredict(DECODE_TOKENS).setTemperature(0).setSeed(1).setCachePrompt(false);
            long first = 0;
            long last = 0;
            int n = 0;
            for (LlamaOutput ignored : model.generate(p)) {
                long now = System.nanoTime();
                if (n == 0) first = now;
                last = now;
                n++;
            }
            if (n < 8) throw new IllegalStateException(file.getFileName() + " stopped after " + n + " tokens");
            return (n - 1) / ((last - first) / 1e9);
        }
    }

    /** An adapter on every projection folded into the base as Q8_0, then loaded by llama.cpp: seconds for the merge. */
    static double mergeSeconds(Path file, TransformerConfig cfg, Path work) throws Exception {
        LoraWeights lora = LoraWeights.initialize(cfg, LoraConfig.of(8, 7));
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < lora.slots().size(); i++) {
            float[] b = lora.b(i);
            for (int j = 0; j < b.length; j++) b[j] = (float) r.nextDouble(-0.01, 0.01);
        }
        Path adapter = GgufLoraWriter.write(work.resolve("models-bench-lora.gguf"), cfg, lora);
        Path merged = work.resolve("models-bench-merged.gguf");
        try {
            long start = System.nanoTime();
            LoraMerger.merge(file, adapter, GgmlType.Q8_0, merged);
            double seconds = (System.nanoTime() - start) / 1e9;
            try (LlamaModel model = new LlamaModel(LlamaRuntime.modelParameters(merged,
                    new RuntimeOptions(Runtime.getRuntime().availableProcessors(), 0, 256, 1), List.of()))) {
                if (model.encode("hello").length == 0) throw new IllegalStateException("the merged model does not tokenize");
            }
            return seconds;
        } finally {
            Files.deleteIfExists(adapter);
            Files.deleteIfExists(merged);
        }
    }
}
