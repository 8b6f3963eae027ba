package dev.lifelong.assistant.seedling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.TrainingListener;
import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.lora.TrainingSequence;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.lora.data.TokenizedDataset;
import dev.lifelong.lora.data.Turn;
import dev.lifelong.seedling.corpus.CorpusFiles;
import dev.lifelong.seedling.corpus.CorpusGenerator;
import dev.lifelong.seedling.corpus.EvalCase;
import dev.lifelong.seedling.tokenizer.BpeTrainer;
import dev.lifelong.seedling.tokenizer.SeedlingVocab;
import dev.lifelong.seedling.tokenizer.VocabularyCarrier;
import dev.lifelong.seedling.training.SeedlingJob;
import dev.lifelong.seedling.training.SeedlingModelConfig;
import dev.lifelong.seedling.training.SeedlingTrainMain;
import dev.lifelong.seedling.training.SeedlingTrainingConfig;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./lifelong seedling rebuild}: generates the corpus, trains the tokenizer, tokenizes with llama.cpp through a
 * vocabulary-carrier GGUF, trains the model from scratch in a child JVM (decision 011), evaluates it on held-out
 * cases and writes {@code seedling.gguf} with {@code manifest.json} into the output directory. Every intermediate
 * file lives in the work directory; rerunning the same command resumes training from its checkpoint.
 */
public final class SeedlingBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Training throughput of the default model on 2 shared cores (decision 014: 300-1300 tokens/s), for --steps runs. */
    /** The schedule is planned for this share of the budget: the speed varies with the other load on the machine. */
    static final double PLANNED_SHARE = 0.9;

    static final double DEFAULT_MODEL_TOKENS_PER_SECOND = 500;

    /**
     * @param tokensPerSecond expected training throughput, sizes the cosine schedule to the budget (0 = estimate
     *     from the model's FLOPs relative to the default model)
     * @param steps optimizer steps (0 = as many as fit the time budget at tokensPerSecond)
     * @param stopAfterSteps stop there with a checkpoint, as an interruption would (0 = never); for tests
     */
    /** Peak learning rate of the from-scratch run (SeedlingTrainingConfig's default). */
    public static final float DEFAULT_LR = 1e-3f;

    public record Options(long seed, int conversations, int evalCases, int vocabSize, SeedlingModelConfig model,
            double minutes, double tokensPerSecond, int steps, int threads, Path out, Path work, GgmlType weightType,
            int maxSeqLen, int batchSize, int gradAccumulation, String heap, int stopAfterSteps, float lr,
            java.util.Map<dev.lifelong.seedling.corpus.Kind, Integer> mix) {
        public Options {
            if (!(lr > 0 && lr < 1)) throw new IllegalArgumentException("--lr must be in (0, 1), not " + lr);
            if (conversations < 1) throw new IllegalArgumentException("--conversations must be at least 1, not " + conversations);
            if (evalCases < 0) throw new IllegalArgumentException("--eval-cases must be 0 or more, not " + evalCases);
            if (vocabSize <= SeedlingVocab.FIRST_NORMAL_ID) {
                throw new IllegalArgumentException("--vocab must exceed " + SeedlingVocab.FIRST_NORMAL_ID + " (special and byte tokens), not " + vocabSize);
            }
            if (!(minutes > 0) || minutes > 24 * 60) throw new IllegalArgumentException("--minutes must be in (0, 1440], not " + minutes);
            if (tokensPerSecond < 0) throw new IllegalArgumentException("--tokens-per-second must be positive");
            if (stopAfterSteps < 0) throw new IllegalArgumentException("--stop-after-steps must be 0 or more");
            if (steps < 0) throw new IllegalArgumentException("--steps must be 0 (from the budget) or more, not " + steps);
            if (threads < 1) throw new IllegalArgumentException("--threads must be at least 1, not " + threads);
            if (weightType != GgmlType.F16 && weightType != GgmlType.Q8_0 && weightType != GgmlType.F32) {
                throw new IllegalArgumentException("weights must be F32, F16 or Q8_0, not " + weightType);
            }
            if (maxSeqLen < 16 || maxSeqLen > model.contextLength()) {
                throw new IllegalArgumentException("max sequence length must be in [16, " + model.contextLength() + "]");
            }
        }

        public static Options defaults(Path out, Path work) {
            return new Options(1, 20_000, 400, BpeTrainer.DEFAULT_VOCAB_SIZE, SeedlingModelConfig.defaults(), 60, 0, 0,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), out, work, GgmlType.F16, 512, 4, 4, "3g", 0, DEFAULT_LR, CorpusGenerator.defaultMix());
        }
    }

    public record Built(Path model, Path manifest, Map<String, Object> manifestContent) {
    }

    private final Options o;
    private final PrintStream log;
    private final TrainingListener progress;

    public SeedlingBuilder(Options options, PrintStream log, TrainingListener progress) {
        this.o = options;
        this.log = log;
        this.progress = progress;
    }

    public Built build() throws IOException {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        Files.createDirectories(o.work());
        Files.createDirectories(o.out());

        // 1. corpus
        step(1, "corpus: %d conversations and %d held-out cases from seed %d", o.conversations(), o.evalCases(), o.seed());
        CorpusGenerator generator = new CorpusGenerator(o.seed(), o.mix());
        List<ChatExample> training = generator.training(o.conversations());
        List<EvalCase> eval = generator.eval(o.evalCases());
        Path corpus = o.work().resolve("corpus.jsonl");
        Path evalFile = o.work().resolve("eval.jsonl");
        CorpusFiles.writeExamples(training, corpus);
        CorpusFiles.writeEval(eval, evalFile);
        String corpusSha = DatasetFiles.sha256(corpus);

        // 2. tokenizer
        step(2, "tokenizer: BPE, %d tokens", o.vocabSize());
        List<String> texts = new ArrayList<>(training.size());
        for (ChatExample e : training) texts.add(chatml(e.messages()));
        SeedlingVocab vocab = BpeTrainer.train(texts, o.vocabSize());
        texts = null;

        // 3. carrier GGUF, tokenized with llama.cpp
        Path carrier = VocabularyCarrier.write(vocab, o.work().resolve("vocabulary.gguf"));
        step(3, "tokenizing with llama.cpp (vocabulary %d tokens, sequences of at most %d)", vocab.size(), o.maxSeqLen());
        TokenizedDataset data;
        try (ChatTokenizer tokenizer = ChatTokenizer.open(carrier)) {
            data = tokenizer.tokenize(training, o.maxSeqLen());
        }
        if (data.sequences().isEmpty()) throw new IllegalStateException("no training sequence left after tokenizing");
        Path sequences = o.work().resolve("sequences.bin");
        SequenceFiles.write(sequences, data.sequences());
        log.println("  " + data.summary());

        // 4. training in a child JVM
        SeedlingModelConfig model = o.model().withVocabSize(vocab.size());
        double meanTokens = (double) data.tokens() / data.sequences().size();
        double tokensPerStep = meanTokens * o.batchSize() * o.gradAccumulation();
        Path checkpoint = o.work().resolve("seedling.ckpt");
        String tpsSource;
        double tps;
        Path measured = o.work().resolve("throughput.txt");
        String shape = model + "|" + o.batchSize() + "x" + o.gradAccumulation() + "|" + o.maxSeqLen() + "|" + o.threads();
        if (o.tokensPerSecond() > 0) {
            tps = o.tokensPerSecond();
            tpsSource = "configured";
        } else if (o.steps() > 0) {
            tps = estimatedTokensPerSecond(model, o.maxSeqLen());
            tpsSource = "estimated";
        } else if (Files.isRegularFile(checkpoint) && Files.isRegularFile(measured)
                && Files.readString(measured, StandardCharsets.UTF_8).startsWith(shape + "=")) {
            // resuming: the same schedule as the interrupted run, so its checkpoint stays valid
            tps = Double.parseDouble(Files.readString(measured, StandardCharsets.UTF_8).substring(shape.length() + 1).strip());
            tpsSource = "measured (earlier run)";
        } else {
            tps = probe(model, sequences, carrier, tokensPerStep);
            tpsSource = "measured";
            writeAtomically(measured, shape + "=" + tps + "\n");
        }
        long budgetSeconds = Math.max(1, Math.round(o.minutes() * 60));
        int totalSteps = o.steps() > 0 ? o.steps() : Math.max(1, (int) (PLANNED_SHARE * budgetSeconds * tps / tokensPerStep));
        SeedlingTrainingConfig d = SeedlingTrainingConfig.defaults(totalSteps);
        SeedlingTrainingConfig trainingConfig = d.withLr(o.lr()).withBatch(o.batchSize(), o.gradAccumulation())
                .withWarmup(Math.min(d.warmupSteps(), Math.max(1, totalSteps / 10)))
                .withSeed(o.seed())
                .withCheckpointEvery(Math.max(1, Math.min(50, totalSteps / 5)))
                // the schedule is sized to end inside the budget; the budget itself is the hard stop
                .withTimeBudgetSeconds(budgetSeconds)
                .withThreads(o.threads());
        trainingConfig = new SeedlingTrainingConfig(trainingConfig.lr(), trainingConfig.warmupSteps(), trainingConfig.minLrRatio(),
                trainingConfig.weightDecay(), trainingConfig.beta1(), trainingConfig.beta2(), trainingConfig.eps(),
                trainingConfig.gradClip(), trainingConfig.batchSize(), trainingConfig.gradAccumulation(), o.maxSeqLen(),
                totalSteps, trainingConfig.seed(), trainingConfig.checkpointEvery(), trainingConfig.timeBudgetSeconds(),
                o.stopAfterSteps(), trainingConfig.threads());
        Path output = o.out().resolve("seedling.gguf");
        SeedlingJob job = new SeedlingJob(model, trainingConfig, sequences, carrier, output, checkpoint, o.weightType(), "seedling");
        Path jobFile = o.work().resolve("job.json");
        // A checkpoint resumes only the same trajectory; one left by other settings would make the trainer refuse.
        String key = model + "|" + trainingConfig.withThreads(0).withTimeBudgetSeconds(0).withStopAfterSteps(0)
                .withCheckpointEvery(0) + "|" + o.weightType() + "|" + corpusSha + "|" + data.sequences().size() + "|"
                + data.tokens() + "|" + vocab.hashCode();
        Path keyFile = o.work().resolve("checkpoint-key.txt");
        if (Files.isRegularFile(checkpoint)
                && !(Files.isRegularFile(keyFile) && Files.readString(keyFile, StandardCharsets.UTF_8).equals(key))) {
            log.println("  discarding " + checkpoint + ": it was written with other settings");
            Files.delete(checkpoint);
        }
        writeAtomically(keyFile, key);
        job.write(jobFile);
        step(4, "training %,d parameters for %d steps (~%.0f tokens/step at ~%.0f tokens/s %s, budget %s)%s",
                model.parameterCount(), totalSteps, tokensPerStep, tps, tpsSource,
                budgetSeconds >= 120 ? (budgetSeconds / 60) + " min" : budgetSeconds + " s",
                Files.isRegularFile(checkpoint) ? ", resuming from " + checkpoint : "");
        JsonNode result = train(jobFile, o.work().resolve("train.log"), progress);
        if (result.path("stoppedEarly").asBoolean()) {
            log.printf(Locale.ROOT, "  stopped early at step %d of %d (time budget or --stop-after-steps): the model is written, less trained; "
                    + "the checkpoint %s is kept, so running the same command again continues%n",
                    result.path("steps").asInt(), totalSteps, checkpoint);
        } else {
            Files.deleteIfExists(checkpoint);
        }

        // 5. evaluation
        step(5, "evaluation on %d held-out cases", eval.size());
        SeedlingEvaluator.Report report = SeedlingEvaluator.evaluate(output, eval, o.threads(), log);
        Map<String, Object> evaluation = new LinkedHashMap<>(report.toMap());
        int heldOut = Math.min(200, Math.max(1, o.evalCases()));
        HeldOutLoss.Result loss = HeldOutLoss.measure(output, HeldOutLoss.conversations(o.seed(), heldOut), o.maxSeqLen(),
                o.threads(), o.work());
        evaluation.putAll(lossFigures(loss));
        log.printf(Locale.ROOT, "  held-out loss %.4f, perplexity %.2f on %d conversations%n", loss.meanLoss(),
                loss.perplexity(), loss.conversations());
        CorpusFiles.writeEval(eval, o.out().resolve("eval.jsonl"));

        // 6. manifest
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", output.getFileName().toString());
        m.put("sha256", DatasetFiles.sha256(output));
        m.put("bytes", Files.size(output));
        m.put("weight_type", o.weightType().name());
        m.put("created", Instant.now().toString());
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("seed", o.seed());
        c.put("conversations", o.conversations());
        Map<String, Integer> mixOut = new LinkedHashMap<>();
        o.mix().forEach((k, v) -> mixOut.put(k.name(), v));
        c.put("mix", mixOut);
        c.put("sha256", corpusSha);
        c.put("eval_cases", eval.size());
        c.put("eval_sha256", DatasetFiles.sha256(evalFile));
        m.put("corpus", c);
        Map<String, Object> tok = new LinkedHashMap<>();
        tok.put("type", "SPM-style BPE (decision 013)");
        tok.put("vocab_size", vocab.size());
        tok.put("sequences", data.sequences().size());
        tok.put("tokens", data.tokens());
        tok.put("loss_tokens", data.lossTokens());
        tok.put("truncated", data.truncated());
        tok.put("dropped", data.dropped().size());
        m.put("tokenizer", tok);
        Map<String, Object> mc = JSON.convertValue(model, Map.class);
        mc.put("parameters", model.parameterCount());
        m.put("model_config", mc);
        m.put("training_config", trainingConfig);
        m.put("tokens_per_second_planned", tps);
        m.put("tokens_per_second_source", tpsSource);
        m.put("steps", result.path("steps").asInt());
        m.put("total_steps", result.path("totalSteps").asInt());
        m.put("stopped_early", result.path("stoppedEarly").asBoolean());
        m.put("first_loss", result.path("firstLoss").asDouble());
        m.put("final_loss", result.path("finalLoss").asDouble());
        m.put("training_tokens", result.path("tokens").asLong());
        m.put("training_seconds", result.path("seconds").asDouble());
        m.put("wall_seconds", (System.nanoTime() - t0) / 1e9);
        m.put("started", started.toString());
        m.put("machine", machine(o.threads()));
        m.put("evaluation", evaluation);
        Path manifest = o.out().resolve("manifest.json");
        writeAtomically(manifest, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(m) + "\n");
        step(6, "wrote %s and %s", output, manifest);
        return new Built(output, manifest, m);
    }

    public static Map<String, Object> lossFigures(HeldOutLoss.Result loss) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heldout_conversations", loss.conversations());
        m.put("heldout_mean_loss", loss.meanLoss());
        m.put("heldout_perplexity", loss.perplexity());
        return m;
    }

    /** ChatML exactly as the template renders it, so the BPE also learns the template's own text. */
    static String chatml(List<Turn> turns) {
        StringBuilder sb = new StringBuilder();
        for (Turn t : turns) sb.append("<|im_start|>").append(t.role()).append('\n').append(t.content()).append("<|im_end|>\n");
        return sb.toString();
    }

    /** The default model's measured throughput, scaled by training FLOPs per token. */
    static double estimatedTokensPerSecond(SeedlingModelConfig model, int seqLen) {
        SeedlingModelConfig reference = SeedlingModelConfig.defaults();
        // tiny models are bound by per-op overhead, not FLOPs (decision 014: a 4.2M model ran at 2500-4000 tokens/s)
        return Math.min(4000, DEFAULT_MODEL_TOKENS_PER_SECOND * reference.trainingFlopsPerToken(seqLen / 2) / model.trainingFlopsPerToken(seqLen / 2));
    }

    /**
     * Training throughput on this machine now: a few steps of the real job (no checkpoint, thrown away), timed in
     * this process between the first and the last step so the child's start-up and first-step warm-up do not count.
     */
    private double probe(SeedlingModelConfig model, Path sequences, Path carrier, double tokensPerStep) throws IOException {
        int steps = 4;
        SeedlingTrainingConfig c = SeedlingTrainingConfig.defaults(1000).withBatch(o.batchSize(), o.gradAccumulation())
                .withSeed(o.seed()).withThreads(o.threads()).withStopAfterSteps(steps);
        c = new SeedlingTrainingConfig(c.lr(), c.warmupSteps(), c.minLrRatio(), c.weightDecay(), c.beta1(), c.beta2(),
                c.eps(), c.gradClip(), c.batchSize(), c.gradAccumulation(), o.maxSeqLen(), c.totalSteps(), c.seed(), 0,
                c.timeBudgetSeconds(), steps, c.threads());
        Path probeJob = o.work().resolve("probe.json");
        Path probeModel = o.work().resolve("probe.gguf");
        new SeedlingJob(model, c, sequences, carrier, probeModel, null, GgmlType.F32, "seedling-probe").write(probeJob);
        log.printf(Locale.ROOT, "  measuring training speed (%d steps)...%n", steps);
        long[] at = new long[steps + 1];
        train(probeJob, o.work().resolve("probe.log"), p -> {
            if (p.step() >= 1 && p.step() <= steps) at[p.step()] = System.nanoTime();
        });
        Files.deleteIfExists(probeModel);
        Files.deleteIfExists(probeJob);
        double seconds = (at[steps] - at[1]) / 1e9;
        if (!(seconds > 0)) throw new IllegalStateException("the speed probe reported no steps; see " + o.work().resolve("probe.log"));
        double tps = (steps - 1) * tokensPerStep / seconds;
        log.printf(Locale.ROOT, "  about %.0f tokens/s%n", tps);
        return tps;
    }

    private JsonNode train(Path jobFile, Path logFile, TrainingListener progress) throws IOException {
        Process p = SeedlingTrainMain.processBuilder(jobFile, o.heap()).redirectErrorStream(true).start();
        JsonNode result = null;
        String error = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.println(line);
                out.flush();
                if (line.startsWith("PROGRESS ")) {
                    JsonNode n = JSON.readTree(line.substring(9));
                    progress.onProgress(new TrainingProgress(n.path("step").asInt(), n.path("totalSteps").asInt(),
                            n.path("loss").asDouble(), n.path("tokensPerSecond").asDouble(), n.path("etaSeconds").asDouble()));
                } else if (line.startsWith("RESULT ")) {
                    result = JSON.readTree(line.substring(7));
                } else if (line.startsWith("ERROR ")) {
                    error = line.substring(6);
                } else if (line.startsWith("RESUMING ")) {
                    log.println("  resuming from the checkpoint");
                }
            }
        } finally {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                p.destroy();
                Thread.currentThread().interrupt();
            }
        }
        if (p.exitValue() != 0 || result == null) {
            throw new IllegalStateException("training failed (exit " + p.exitValue() + "): "
                    + (error != null ? error : "no result") + "; see " + logFile + "; rerun the same command to resume");
        }
        return result;
    }

    private void step(int n, String format, Object... args) {
        log.printf(Locale.ROOT, "[%d/6] " + format + "%n", prepend(n, args));
        log.flush();
    }

    private static Object[] prepend(int n, Object[] args) {
        Object[] a = new Object[args.length + 1];
        a[0] = n;
        System.arraycopy(args, 0, a, 1, args.length);
        return a;
    }

    static Map<String, Object> machine(int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("threads", threads);
        m.put("java", System.getProperty("java.version"));
        return m;
    }

    static void writeAtomically(Path target, String text) throws IOException {
        Path abs = target.toAbsolutePath();
        // a plain file, not createTempFile, so the result gets the usual permissions rather than owner-only
        Path tmp = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, abs, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
