package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every benchmark's {@code --quick} mode, as CI runs it: it must complete, write its JSON, and give the figures the
 * README's table is generated from ({@link BenchmarkReadme#table} throws on a missing value). A benchmark that breaks
 * fails CI. Timings are never asserted (DEVELOPERS.md: performance is measured in benchmarks). The learning
 * benchmark's quick mode runs in {@link LearningBenchmarkTest}.
 */
@Tag("slow")
class BenchmarkQuickRunsTest {
    @TempDir Path dir;

    @Test
    @Timeout(1500)
    void modelsChatsTrainsAndMergesEachModel() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("models", dir.resolve("out"));
        assertThat(figures).hasSize(1);
        Map<String, Object> f = figures.get(0);
        assertThat(((Number) f.get("chat_decode_tokens_per_s")).doubleValue()).isPositive();
        assertThat(f.get("trainable")).isEqualTo(true);
        assertThat(((Number) f.get("train_tokens_per_s")).doubleValue()).isPositive();
        assertThat(((Number) f.get("train_peak_rss_mib")).longValue()).isPositive();
        assertThat(((Number) f.get("nightly_needs_mib")).longValue()).isPositive();
        assertThat(((Number) f.get("merge_seconds")).doubleValue()).isPositive();
        assertThat(BenchmarkReadme.table("models", figures)).contains("| tiny test model (pipeline check only) |", "| yes |");
    }

    @Test
    @Timeout(1500)
    void nightlyTimesEveryPhaseOfARealUpdate() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("nightly", dir.resolve("out"));
        assertThat(figures).hasSize(1);
        Map<String, Object> f = figures.get(0);
        assertThat(f).containsKeys("phase_building_the_dataset", "phase_tokenizing", "phase_training", "phase_gating");
        assertThat(((Number) f.get("day_tokens")).intValue()).isGreaterThanOrEqualTo(600);
        assertThat(((Number) f.get("steps")).intValue()).isPositive();
        assertThat(((Number) f.get("replay")).intValue()).as("the second night replays the first's data").isPositive();
        assertThat(((Number) f.get("fact_variants")).intValue()).isPositive();
        assertThat(((Number) f.get("process_train_seconds")).doubleValue()).isPositive();
        assertThat(BenchmarkReadme.table("nightly", figures)).contains("| tiny test model (pipeline check only) |");
    }

    @Test
    @Timeout(1500)
    void servingComparesEqualWorkWithAndWithoutMemory() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("serving", dir.resolve("out"));
        assertThat(figures).extracting(f -> f.get("figure"))
                .containsExactly("decode_tokens_per_s", "decode_tokens_per_s_with_memory", "time_to_first_token_ms", "memory_cost_ms");
        Map<String, Object> memory = figures.get(3);
        // the memory rounds recalled memories (the run stops if one did not) and made the prompt longer
        assertThat(((Number) memory.get("extra_prompt_tokens_median")).intValue()).isPositive();
        assertThat(BenchmarkReadme.table("serving", figures)).contains("memory on");
    }

    @Test
    @Timeout(1500)
    void trainingRunsInTheTrainerProcessAndReportsItsMemoryAndGemmRates() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("training", dir.resolve("out"));
        assertThat(figures).hasSize(1);
        Map<String, Object> f = figures.get(0);
        assertThat(f).containsKeys("tokens_per_s", "achieved_gflops", "gemm_fp32_2048_gflops", "gemm_fp32_model_gflops", "gemm_fp16_model_gflops");
        // the child process reported its own peak memory, and it was planned
        assertThat(((Number) f.get("peak_rss_mib")).longValue()).isPositive();
        assertThat(((Number) f.get("planned_mib")).longValue()).isPositive();
        assertThat(BenchmarkReadme.table("training", figures)).contains("tiny test model");
    }

    @Test
    @Timeout(1500)
    void retrievalRunsEveryStep() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("retrieval", dir.resolve("out"));
        assertThat(figures).extracting(f -> f.get("benchmark")).contains("retrieval_recall_at_5", "retrieval_sign_bit_agreement",
                "retrieval_ingestion", "retrieval_latency");
        assertThat(BenchmarkReadme.table("retrieval", figures)).contains("10,000");
    }

    @Test
    @Timeout(1500)
    void loadStreamsSeveralUsersAtOnce() throws Exception {
        List<Map<String, Object>> figures = QuickRun.run("load", dir.resolve("out"));
        assertThat(figures).extracting(x -> x.get("figure")).containsExactly("concurrent_streaming_chats", "heavy_user_fairness");
        Map<String, Object> f = figures.get(0);
        assertThat(((Number) f.get("answers")).intValue()).isPositive();
        // two slots streaming at once once failed with llama.cpp's "input prompt is too big compared to KV size" (the
        // reason for LlamaRuntime.KV_HEADROOM); an error is a fault, whatever the machine's speed
        assertThat(((Number) f.get("errors")).intValue()).as("errors; the first: %s", f.get("first_error")).isZero();
        assertThat(BenchmarkReadme.table("load", figures)).contains("tiny random model", "one member floods");
    }
}
