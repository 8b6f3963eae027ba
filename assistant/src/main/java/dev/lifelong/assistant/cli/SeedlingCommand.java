package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.seedling.HeldOutLoss;
import dev.lifelong.assistant.seedling.SeedlingBuilder;
import dev.lifelong.assistant.seedling.SeedlingEvaluator;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.seedling.corpus.CorpusFiles;
import dev.lifelong.seedling.corpus.CorpusGenerator;
import dev.lifelong.seedling.corpus.EvalCase;
import dev.lifelong.seedling.training.SeedlingModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code ./lifelong seedling rebuild|eval}: regenerate and retrain the built-in demo model, or measure it. */
@Command(name = "seedling", mixinStandardHelpOptions = true,
        description = "Rebuild or evaluate the seedling, the small demo model Lifelong trains itself.",
        subcommands = {SeedlingCommand.Rebuild.class, SeedlingCommand.Eval.class})
public final class SeedlingCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static Path defaultDir() {
        return ModelResolver.home().resolve(ModelResolver.SEEDLING).getParent();
    }

    static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    @Command(name = "rebuild", mixinStandardHelpOptions = true,
            description = "Generate the corpus, train the tokenizer and the model from scratch, evaluate, write the manifest.")
    static final class Rebuild implements Callable<Integer> {
        @Option(names = "--seed", defaultValue = "1", description = "Corpus and training seed (default ${DEFAULT-VALUE}).") long seed;
        @Option(names = "--conversations", defaultValue = "20000", description = "Training conversations (default ${DEFAULT-VALUE}).") int conversations;
        @Option(names = "--eval-cases", defaultValue = "400", description = "Held-out evaluation cases (default ${DEFAULT-VALUE}).") int evalCases;
        @Option(names = "--minutes", defaultValue = "60", description = "Training time budget; the learning-rate schedule is sized to end inside it (default ${DEFAULT-VALUE}).") double minutes;
        @Option(names = "--out", paramLabel = "DIR", description = "Where seedling.gguf and manifest.json go (default: models/seedling of this Lifelong).") Path out;
        @Option(names = "--work", paramLabel = "DIR", description = "Intermediate files and the checkpoint (default: target/seedling of this Lifelong).") Path work;
        @Option(names = "--threads", description = "CPU threads (default: all cores).") Integer threads;
        @Option(names = "--steps", defaultValue = "0", description = "Optimizer steps (default: as many as fit the budget).") int steps;
        @Option(names = "--tokens-per-second", defaultValue = "0", description = "Training throughput that sizes the schedule (default: measured by a few probe steps).") double tokensPerSecond;
        @Option(names = "--vocab", defaultValue = "4096", description = "Tokenizer vocabulary size (default ${DEFAULT-VALUE}).") int vocab;
        @Option(names = "--layers", defaultValue = "6", description = "Transformer layers (default ${DEFAULT-VALUE}).") int layers;
        @Option(names = "--width", defaultValue = "384", description = "Embedding width (default ${DEFAULT-VALUE}).") int width;
        @Option(names = "--heads", defaultValue = "6", description = "Attention heads (default ${DEFAULT-VALUE}).") int heads;
        @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads (default ${DEFAULT-VALUE}).") int kvHeads;
        @Option(names = "--ffn", defaultValue = "1024", description = "SwiGLU hidden size (default ${DEFAULT-VALUE}).") int ffn;
        @Option(names = "--context", defaultValue = "1024", description = "Context length (default ${DEFAULT-VALUE}).") int context;
        @Option(names = "--max-seq", defaultValue = "512", description = "Longest training sequence in tokens (default ${DEFAULT-VALUE}).") int maxSeq;
        @Option(names = "--mix", paramLabel = "KIND=W,...", description = "Training mix of conversation kinds (default: the built-in shares; experiments only).") String mix;
        @Option(names = "--lr", defaultValue = "0.001", description = "Peak learning rate (default ${DEFAULT-VALUE}).") float lr;
        @Option(names = "--batch", defaultValue = "4", description = "Sequences per pass (default ${DEFAULT-VALUE}).") int batch;
        @Option(names = "--grad-accum", defaultValue = "4", description = "Passes per optimizer step (default ${DEFAULT-VALUE}).") int gradAccum;
        @Option(names = "--weights", defaultValue = "F16", description = "F16 or Q8_0 (default ${DEFAULT-VALUE}).") String weights;
        @Option(names = "--stop-after-steps", defaultValue = "0", hidden = true, description = "Stop there with a checkpoint, as an interruption would (tests).") int stopAfterSteps;
        @Option(names = "--heap", defaultValue = "3g", description = "Maximum heap of the training process (default ${DEFAULT-VALUE}).") String heap;

        @Override
        public Integer call() throws Exception {
            SeedlingBuilder.Options options;
            try {
                GgmlType type = switch (weights.toUpperCase(Locale.ROOT)) {
                    case "F16" -> GgmlType.F16;
                    case "Q8_0" -> GgmlType.Q8_0;
                    case "F32" -> GgmlType.F32;
                    default -> throw new IllegalArgumentException("--weights must be F16 or Q8_0, not '" + weights + "'");
                };
                if (!heap.matches("[0-9]+[mMgG]")) throw new IllegalArgumentException("--heap must look like 3g or 1500m, not '" + heap + "'");
                SeedlingModelConfig model = new SeedlingModelConfig(vocab, layers, width, heads, kvHeads, ffn, context,
                        10000f, 1e-5f, true);
                Path dir = out != null ? out : defaultDir();
                Path workDir = work != null ? work : ModelResolver.home().resolve("target").resolve("seedling");
                options = new SeedlingBuilder.Options(seed, conversations, evalCases, vocab, model, minutes, tokensPerSecond,
                        steps, threads == null ? defaultThreads() : threads, dir.toAbsolutePath(), workDir.toAbsolutePath(),
                        type, maxSeq, batch, gradAccum, heap, stopAfterSteps, lr,
                        mix == null ? dev.lifelong.seedling.corpus.CorpusGenerator.defaultMix()
                                : dev.lifelong.seedling.corpus.CorpusGenerator.parseMix(mix));
                if (batch < 1 || gradAccum < 1) throw new IllegalArgumentException("--batch and --grad-accum must be at least 1");
            } catch (IllegalArgumentException e) {
                throw new UserFacingException(e.getMessage());
            }
            TrainingProgressBar bar = new TrainingProgressBar(System.err, System.console() != null);
            SeedlingBuilder.Built built;
            try {
                built = new SeedlingBuilder(options, System.err, bar).build();
            } catch (IllegalStateException e) {
                bar.finish();
                throw new UserFacingException(e.getMessage());
            }
            bar.finish();
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(built.manifestContent().get("evaluation")));
            System.out.printf(Locale.ROOT, "wrote %s (%s steps, final loss %.4f)%n", built.model(),
                    built.manifestContent().get("steps"), (Double) built.manifestContent().get("final_loss"));
            return 0;
        }
    }

    @Command(name = "eval", mixinStandardHelpOptions = true,
            description = "Answer held-out cases greedily and print accuracy, abstention, extraction and stop rates.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "FILE.gguf", description = "Model (default: models/seedling/seedling.gguf).") Path model;
        @Option(names = "--eval", paramLabel = "FILE.jsonl", description = "Evaluation cases (default: eval.jsonl next to the model, else generated from the manifest's seed).") Path eval;
        @Option(names = "--limit", description = "Only the first N cases.") Integer limit;
        @Option(names = "--answers", paramLabel = "FILE.jsonl", description = "Also write every case's answer and verdict there.") Path answers;
        @Option(names = "--threads", description = "CPU threads (default: all cores).") Integer threads;
        @Option(names = "--heldout", defaultValue = "200", description = "Held-out conversations for mean loss and perplexity (default ${DEFAULT-VALUE}; 0 = skip).") int heldout;

        @Override
        public Integer call() throws Exception {
            if (heldout < 0) throw new UserFacingException("--heldout must be 0 or more");
            if (limit != null && limit < 1) throw new UserFacingException("--limit must be at least 1");
            if (threads != null && threads < 1) throw new UserFacingException("--threads must be at least 1");
            Path file = (model != null ? model : ModelResolver.home().resolve(ModelResolver.SEEDLING)).toAbsolutePath();
            if (!Files.isRegularFile(file)) {
                throw new UserFacingException("model not found: " + file + (model == null ? " (run ./lifelong seedling rebuild)" : ""));
            }
            long seed = 1;
            Path manifest = file.resolveSibling("manifest.json");
            if (Files.isRegularFile(manifest)) {
                JsonNode m = new ObjectMapper().readTree(manifest.toFile());
                seed = m.path("corpus").path("seed").asLong(1);
            }
            List<EvalCase> cases;
            if (eval != null) {
                if (!Files.isRegularFile(eval)) throw new UserFacingException("evaluation file not found: " + eval);
                try {
                    cases = CorpusFiles.readEval(eval);
                } catch (IllegalArgumentException e) {
                    throw new UserFacingException(eval + ": " + e.getMessage());
                }
            } else if (Files.isRegularFile(file.resolveSibling("eval.jsonl"))) {
                cases = CorpusFiles.readEval(file.resolveSibling("eval.jsonl"));
            } else {
                cases = new CorpusGenerator(seed).eval(400);
            }
            if (cases.isEmpty()) throw new UserFacingException("no evaluation cases");
            if (limit != null && limit < cases.size()) cases = cases.subList(0, limit);
            SeedlingEvaluator.Report report = SeedlingEvaluator.evaluate(file, cases, threads == null ? defaultThreads() : threads, System.err, answers);
            Map<String, Object> figures = new LinkedHashMap<>(report.toMap());
            System.out.print(report.table());
            if (heldout > 0) {
                Path work = Files.createTempDirectory("seedling-eval");
                try {
                    HeldOutLoss.Result loss = HeldOutLoss.measure(file, HeldOutLoss.conversations(seed, heldout), 1024,
                            threads == null ? defaultThreads() : threads, work);
                    figures.putAll(SeedlingBuilder.lossFigures(loss));
                    System.out.printf(Locale.ROOT, "%-24s %6.3f  (perplexity %.2f, %d conversations)%n", "held-out loss",
                            loss.meanLoss(), loss.perplexity(), loss.conversations());
                } finally {
                    Files.deleteIfExists(work);
                }
            }
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(figures));
            return 0;
        }
    }
}
