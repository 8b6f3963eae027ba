package dev.lifelong.assistant.seedling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.cli.LifelongCli;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.GenerationResult;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.seedling.corpus.CorpusFiles;
import dev.lifelong.seedling.corpus.EvalCase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code seedling rebuild} end to end with a tiny model, then {@code seedling eval}, then bad input. */
@Timeout(300)
class SeedlingRebuildTest {
    @TempDir Path dir;

    record Run(int exit, String err) {
    }

    static Run cli(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = LifelongCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, err.toString());
    }

    String[] tiny(Path out, String... extra) {
        return tiny(out, dir.resolve("work"), extra);
    }

    String[] tiny(Path out, Path work, String... extra) {
        List<String> a = new ArrayList<>(List.of("seedling", "rebuild", "--seed", "3", "--conversations", "300",
                "--eval-cases", "8", "--steps", "20", "--vocab", "512", "--layers", "2", "--width", "64", "--heads", "4",
                "--kv-heads", "2", "--ffn", "128", "--context", "1024", "--max-seq", "256", "--batch", "4",
                "--grad-accum", "1", "--threads", "2", "--heap", "1g", "--out", out.toString(), "--work",
                work.toString()));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            int at = a.indexOf(extra[i]);
            if (at >= 0) a.set(at + 1, extra[i + 1]);
            else a.addAll(List.of(extra[i], extra[i + 1]));
        }
        return a.toArray(String[]::new);
    }

    @Test
    void rebuildsATinySeedlingThatLoadsChatsAndIsEvaluated() throws Exception {
        Path out = dir.resolve("models");
        Run r = cli(tiny(out));
        assertThat(r.exit()).as(r.err()).isZero();
        Path model = out.resolve("seedling.gguf");
        assertThat(model).isRegularFile();
        assertThat(dir.resolve("work/seedling.ckpt")).doesNotExist();

        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertThat(m.path("sha256").asText()).isEqualTo(DatasetFiles.sha256(model));
        assertThat(m.path("corpus").path("seed").asLong()).isEqualTo(3);
        assertThat(m.path("corpus").path("conversations").asInt()).isEqualTo(300);
        assertThat(m.path("corpus").path("sha256").asText()).isEqualTo(DatasetFiles.sha256(dir.resolve("work/corpus.jsonl")));
        assertThat(m.path("tokenizer").path("vocab_size").asInt()).isBetween(300, 512);
        assertThat(m.path("model_config").path("vocabSize").asInt()).isEqualTo(m.path("tokenizer").path("vocab_size").asInt());
        assertThat(m.path("model_config").path("nLayer").asInt()).isEqualTo(2);
        assertThat(m.path("model_config").path("parameters").asLong()).isPositive();
        assertThat(m.path("training_config").path("totalSteps").asInt()).isEqualTo(20);
        assertThat(m.path("steps").asInt()).isEqualTo(20);
        assertThat(m.path("final_loss").asDouble()).isLessThan(m.path("first_loss").asDouble());
        assertThat(m.path("wall_seconds").asDouble()).isPositive();
        assertThat(m.path("machine").path("cores").asInt()).isPositive();
        JsonNode e = m.path("evaluation");
        assertThat(e.path("cases").asInt()).isEqualTo(8);
        assertThat(e.path("too_long").asInt()).isZero();
        assertThat(e.path("heldout_conversations").asInt()).isPositive();
        // trained for 20 steps: below a uniform guess over the vocabulary, above zero
        assertThat(e.path("heldout_mean_loss").asDouble()).isBetween(0.1, Math.log(m.path("tokenizer").path("vocab_size").asInt()));
        assertThat(e.path("heldout_perplexity").asDouble()).isCloseTo(Math.exp(e.path("heldout_mean_loss").asDouble()),
                org.assertj.core.api.Assertions.within(1e-6));
        for (String k : List.of("memory_qa_accuracy", "abstention_rate", "extraction_valid_rate", "extraction_correct_rate",
                "correction_accuracy", "stop_rate", "overall")) {
            assertThat(e.path(k).isNumber()).as(k).isTrue();
            assertThat(e.path(k).asDouble()).as(k).isBetween(0.0, 1.0);
        }

        try (LlamaRuntime rt = LlamaRuntime.load(model, new RuntimeOptions(2, 0, 1024, 1))) {
            GenerationResult g = rt.generate(List.of(ChatTurn.user("Hello! How are you?")),
                    new GenerationOptions(24, 0f, 1f, 1, List.of()), s -> { }, new Cancellation());
            assertThat(g.completionTokens()).isPositive();
            assertThat(g.text()).isNotEmpty();
        }

        List<EvalCase> cases = CorpusFiles.readEval(out.resolve("eval.jsonl"));
        SeedlingEvaluator.Report report = SeedlingEvaluator.evaluate(model, cases.subList(0, 4), 2, null);
        assertThat(report.cases()).isEqualTo(4);
        assertThat(report.stopRate()).isBetween(0.0, 1.0);
        assertThat(report.overall()).isBetween(0.0, 1.0);
        Run ev = cli("seedling", "eval", "--model", model.toString(), "--limit", "2", "--threads", "2", "--heldout", "3");
        assertThat(ev.exit()).as(ev.err()).isZero();
    }

    @Test
    @Tag("slow")
    void aStoppedBuildResumesFromItsCheckpointToTheSameModelAsAnUninterruptedOne() throws Exception {
        Path straight = dir.resolve("straight");
        assertThat(cli(tiny(straight, dir.resolve("w1"), "--steps", "12", "--eval-cases", "4")).exit()).isZero();

        Path resumed = dir.resolve("resumed");
        Path work = dir.resolve("w2");
        Run first = cli(tiny(resumed, work, "--steps", "12", "--eval-cases", "4", "--stop-after-steps", "6"));
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(work.resolve("seedling.ckpt")).isRegularFile();
        JsonNode partial = new ObjectMapper().readTree(resumed.resolve("manifest.json").toFile());
        assertThat(partial.path("stopped_early").asBoolean()).isTrue();
        assertThat(partial.path("steps").asInt()).isEqualTo(6);

        Run second = cli(tiny(resumed, work, "--steps", "12", "--eval-cases", "4"));
        assertThat(second.exit()).as(second.err()).isZero();
        assertThat(work.resolve("seedling.ckpt")).doesNotExist();
        JsonNode m = new ObjectMapper().readTree(resumed.resolve("manifest.json").toFile());
        assertThat(m.path("steps").asInt()).isEqualTo(12);
        assertThat(m.path("stopped_early").asBoolean()).isFalse();
        assertThat(Files.readString(work.resolve("train.log"))).contains("RESUMING");
        assertThat(DatasetFiles.sha256(resumed.resolve("seedling.gguf"))).isEqualTo(DatasetFiles.sha256(straight.resolve("seedling.gguf")));
    }

    @Test
    @Tag("slow")
    void withoutStepsTheScheduleIsSizedFromMeasuredSpeedToEndInsideTheBudget() throws Exception {
        Path out = dir.resolve("budget");
        List<String> args = new ArrayList<>(List.of(tiny(out, dir.resolve("w3"), "--minutes", "0.15", "--eval-cases", "4")));
        int at = args.indexOf("--steps");
        args.remove(at + 1);
        args.remove(at);
        Run r = cli(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(dir.resolve("w3/probe.log")).content().contains("PROGRESS");
        JsonNode m = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertThat(m.path("tokens_per_second_source").asText()).isEqualTo("measured");
        assertThat(m.path("tokens_per_second_planned").asDouble()).isPositive();
        assertThat(m.path("total_steps").asInt()).isGreaterThan(1);
        assertThat(m.path("training_config").path("timeBudgetSeconds").asLong()).isEqualTo(9);
        assertThat(m.path("training_seconds").asDouble()).isLessThan(9 + 5);
        assertThat(dir.resolve("w3/probe.gguf")).doesNotExist();
    }

    @Test
    void badInputIsRefusedClearlyAndWritesNothing() {
        Path out = dir.resolve("bad");
        Run weights = cli(tiny(out, "--weights", "Q4_K"));
        assertThat(weights.exit()).isEqualTo(2);
        assertThat(weights.err()).contains("--weights must be F16 or Q8_0").doesNotContain("\tat ");
        Run heads = cli(tiny(out, "--heads", "5"));
        assertThat(heads.exit()).isEqualTo(2);
        assertThat(heads.err()).contains("nHead");
        Run count = cli(tiny(out, "--conversations", "0"));
        assertThat(count.exit()).isEqualTo(2);
        assertThat(count.err()).contains("--conversations must be at least 1");
        Run minutes = cli(tiny(out, "--minutes", "soon"));
        assertThat(minutes.exit()).isEqualTo(2);
        assertThat(minutes.err()).contains("--minutes");
        Run vocab = cli(tiny(out, "--vocab", "100"));
        assertThat(vocab.exit()).isEqualTo(2);
        assertThat(vocab.err()).contains("--vocab must exceed 261");
        assertThat(out).doesNotExist();

        Run missing = cli("seedling", "eval", "--model", dir.resolve("nope.gguf").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("model not found");
        Run limit = cli("seedling", "eval", "--limit", "0");
        assertThat(limit.exit()).isEqualTo(2);
        assertThat(limit.err()).contains("--limit must be at least 1");
    }
}
