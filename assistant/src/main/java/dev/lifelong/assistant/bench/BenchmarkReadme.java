package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.io.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Generates the README's benchmark tables from the latest record of each benchmark ({@link BenchmarkHistory}), so a
 * figure in the README always names the commit, date and machine that produced it. Each table lives between
 * {@code <!-- bench:NAME -->} and {@code <!-- /bench:NAME -->}; {@code ./bench/run readme} rewrites those regions
 * and nothing else, and a test fails when the README differs from what the history gives.
 */
public final class BenchmarkReadme {
    /** The benchmarks, in the README's order. */
    public static final List<String> BENCHMARKS = List.of("models", "nightly", "serving", "training", "retrieval", "load", "learning");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchmarkReadme() {}

    /** Rewrites README.md's regions from the history; returns the regions that changed. */
    public static List<String> update(Path repo) throws IOException {
        Path readme = repo.resolve("README.md");
        String before = Files.readString(readme, StandardCharsets.UTF_8);
        String after = generate(repo, before);
        List<String> changed = new ArrayList<>();
        for (String bench : BENCHMARKS) if (!region(before, bench).equals(region(after, bench))) changed.add(bench);
        if (!after.equals(before)) DurableFiles.write(readme, after.getBytes(StandardCharsets.UTF_8), false, null);
        return changed;
    }

    /** The README text with every region regenerated from the history in {@code repo}. */
    public static String generate(Path repo, String readme) throws IOException {
        Map<String, String> regions = new LinkedHashMap<>();
        for (String bench : BENCHMARKS) {
            Optional<Path> latest = BenchmarkHistory.latest(repo, bench);
            regions.put(bench, latest.isEmpty() ? missing(bench)
                    : section(BenchmarkHistory.read(latest.get()), repo.relativize(latest.get()).toString().replace('\\', '/')));
        }
        return replaceRegions(readme, regions);
    }

    static String missing(String bench) {
        return "_No record yet: run `./bench/run " + bench + " --record` on an idle machine (it regenerates this table), and commit the record "
                + "with the README._\n";
    }

    /** A region's text: where the figures come from, then the table. */
    static String section(JsonNode record, String recordPath) {
        JsonNode m = record.path("machine");
        JsonNode load = record.path("load_average_1m");
        String commit = text(record, "commit");
        String when = text(record, "recorded_at");
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Recorded by `%s --record` at commit `%s` (%s) on %s UTC, %s s; %s, %d cores, %s GiB, %s; "
                        + "load average %s before, %s after ([record](%s)).%n%n",
                text(record, "command"), commit.substring(0, Math.min(7, commit.length())), text(record, "commit_subject"),
                when.substring(0, Math.min(16, when.length())).replace('T', ' '), record.path("seconds").asText(),
                text(m, "cpu"), m.path("cores").asInt(), m.path("memory_gib").asText(), text(m, "java"),
                load.path("before").asText(), load.path("after").asText(), recordPath));
        b.append(table(text(record, "bench"), toList(record.get("figures"))));
        return b.toString();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> toList(JsonNode figures) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (JsonNode f : figures) out.add(JSON.convertValue(f, Map.class));
        return out;
    }

    /**
     * The Markdown table of one benchmark's figures. Throws when a figure lacks a value the table shows, so a
     * benchmark whose output changed shape fails its CI test instead of writing "null" into the README.
     */
    public static String table(String bench, List<Map<String, Object>> figures) {
        return switch (bench) {
            case "models" -> models(figures);
            case "nightly" -> nightly(figures);
            case "serving" -> serving(figures);
            case "training" -> training(figures);
            case "retrieval" -> retrieval(figures);
            case "load" -> load(figures);
            case "learning" -> learning(figures);
            default -> throw new IllegalArgumentException("no README table for benchmark '" + bench + "'");
        };
    }

    private static String models(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| model | file | chat: decode tokens/s | train | nightly update needs | training: tokens/s (seq) | training peak RAM (planned) "
                + "| merge (`export --merged`, Q8_0) |\n|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            boolean trainable = Boolean.TRUE.equals(need(f, "trainable"));
            b.append(String.format(Locale.ROOT, "| %s | %s MiB | %s | %s | %s | %s | %s | %s |%n", need(f, "model"), need(f, "file_mib"),
                    num(f, "chat_decode_tokens_per_s", 1), trainable ? "yes" : "no: " + need(f, "trainability"),
                    trainable ? gib(f, "nightly_needs_mib") : "—",
                    trainable ? num(f, "train_tokens_per_s", 1) + " (" + need(f, "train_seq_len") + ")" : "—",
                    trainable ? gib(f, "train_peak_rss_mib") + " (" + gib(f, "train_planned_mib") + ")" : "—",
                    trainable ? "yes, " + num(f, "merge_seconds", 0) + " s" : "—"));
        }
        return b.toString();
    }

    private static String nightly(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| model | new tokens (epochs, steps) | dataset + self-replay | tokenizing | training process: load / train / gate's scoring "
                + "| gating + promoting | total | peak RAM | verdict | goal |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            double gating = number(f, "phase_gating") + (f.containsKey("phase_promoting") ? number(f, "phase_promoting")
                    : f.containsKey("phase_recording_the_rejection") ? number(f, "phase_recording_the_rejection") : 0);
            b.append(String.format(Locale.ROOT, "| %s | %s (%s, %s) | %s s | %s s | %s / %s / %s s | %s s | %s s (%s min) | %s | %s | %s |%n",
                    need(f, "model"), String.format(Locale.ROOT, "%,d", (long) number(f, "day_tokens")), need(f, "epochs"), need(f, "steps"),
                    String.format(Locale.ROOT, "%.0f", number(f, "phase_building_the_dataset")
                            + (f.containsKey("phase_answering_general_prompts_for_self-replay")
                                    ? number(f, "phase_answering_general_prompts_for_self-replay") : 0)),
                    num(f, "phase_tokenizing", 1), num(f, "process_load_seconds", 0),
                    num(f, "process_train_seconds", 0), num(f, "process_evaluation_seconds", 0),
                    String.format(Locale.ROOT, "%.1f", gating), num(f, "total_seconds", 0),
                    String.format(Locale.ROOT, "%.1f", number(f, "total_seconds") / 60), gib(f, "process_peak_rss_mib"), need(f, "verdict"), goal(f)));
        }
        return b.toString();
    }

    private static String gib(Map<String, Object> f, String mibKey) {
        return String.format(Locale.ROOT, "%.1f GB", number(f, mibKey) / 1024.0);
    }

    private static String serving(List<Map<String, Object>> figures) {
        Map<String, Object> decode = figure(figures, "figure", "decode_tokens_per_s");
        Map<String, Object> decodeMemory = figure(figures, "figure", "decode_tokens_per_s_with_memory");
        Map<String, Object> ttft = figure(figures, "figure", "time_to_first_token_ms");
        Map<String, Object> memory = figure(figures, "figure", "memory_cost_ms");
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Model: %s; %s threads, %s slots of %s tokens (the product's defaults).%n%n",
                need(decode, "model"), need(decode, "threads"), need(decode, "slots"), need(decode, "context_per_slot")));
        b.append("| figure | java-llama.cpp direct | our server | overhead | goal |\n|---|---|---|---|---|\n");
        for (Map<String, Object> d : List.of(decode, decodeMemory)) {
            b.append(String.format(Locale.ROOT, "| decode tokens/s%s (%s rounds of %s tokens) | %s | %s | %s%% (ratio %s, rounds %s–%s) | %s |%n",
                    d == decode ? "" : ", memory on", need(d, "rounds"), need(d, "tokens_per_round"), num(d, "direct", 1), num(d, "server", 1),
                    num(d, "overhead_percent", 1), num(d, "ratio_server_over_direct", 2), num(d, "ratio_min", 2), num(d, "ratio_max", 2),
                    goal(d)));
        }
        b.append(String.format(Locale.ROOT, "| time to first token, %s-token prompts (%s pairs) | %s ms | %s ms | %s ms (median of pairs) | %s |%n",
                need(ttft, "prompt_tokens_median"), need(ttft, "pairs"), num(ttft, "direct", 0), num(ttft, "server", 0),
                signed(ttft, "overhead_ms", 1), goal(ttft)));
        b.append(String.format(Locale.ROOT, "| time to first token, memory on (up to %s of %s memories: +%s prompt tokens) | %s ms | %s ms | %s ms: retrieval, "
                        + "assembly and HTTP | — |%n", need(memory, "recalled_at_most"), need(memory, "memories_stored"),
                need(memory, "extra_prompt_tokens_median"), num(memory, "ttft_direct", 0), num(memory, "ttft_server", 0), signed(memory, "ttft_overhead", 1)));
        b.append(String.format(Locale.ROOT, "| retrieval + memory assembly alone (in-process, p50 / p95) | — | %s / %s ms | — | — |%n",
                num(memory, "retrieval_and_assembly_p50", 1), num(memory, "retrieval_and_assembly_p95", 1)));
        b.append(String.format(Locale.ROOT, "| prefill of the memory block (direct, with vs without) | %s ms | — | — | — |%n",
                signed(memory, "prefill_of_memory_block", 0)));
        return b.toString();
    }

    private static String training(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| model | shape | seq | tokens/s | achieved GFLOPS | MFU (vs fp32 2048³ GEMM) | GEMM at the model's shape: fp32 / fp16 | "
                + "peak RSS (planned) | goal |\n|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s (%s GFLOPS) | %s / %s GFLOPS (%s) | %s MiB (%s MiB) | %s |%n",
                    need(f, "model"), need(f, "shape"), need(f, "seq_len"), num(f, "tokens_per_s", 1), num(f, "achieved_gflops", 1),
                    num(f, "mfu", 2), num(f, "gemm_fp32_2048_gflops", 0), num(f, "gemm_fp32_model_gflops", 1), num(f, "gemm_fp16_model_gflops", 2),
                    need(f, "gemm_model_shape"), need(f, "peak_rss_mib"), need(f, "planned_mib"), goal(f)));
        }
        return b.toString();
    }

    private static String retrieval(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| embedding model(s) | search | users | recall@5: single fact | updated fact | temporal | multi-session | goal |\n|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            if (!"retrieval_recall_at_5".equals(f.get("benchmark"))) continue;
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s%s | %s | %s | %s | %s |%n", need(f, "embedding_model"), need(f, "mode"), need(f, "users"),
                    num(f, "single", 2), f.containsKey("single_english") ? " (EN " + num(f, "single_english", 2) + ", ZH " + num(f, "single_chinese", 2) + ")" : "",
                    num(f, "updated", 2), num(f, "temporal", 2), num(f, "multi_session", 2), goal(f)));
        }
        b.append("\n| memories of one user | search p50 / p95 (query embedding included) | keyword only p50 | vector only p50 | query embedding p50 | vector search | goal |\n"
                + "|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            if (!"retrieval_latency".equals(f.get("benchmark"))) continue;
            b.append(String.format(Locale.ROOT, "| %,d | %s / %s ms | %s ms | %s ms | %s ms | %s | %s |%n", ((Number) need(f, "memories")).longValue(),
                    num(f, "search_ms_p50", 1), num(f, "search_ms_p95", 1), num(f, "keyword_only_ms_p50", 1), num(f, "vector_only_ms_p50", 1),
                    num(f, "query_embedding_ms_p50", 1), need(f, "vector_search"), goal(f)));
        }
        Map<String, Object> ingestion = figure(figures, "benchmark", "retrieval_ingestion");
        Map<String, Object> signBits = figure(figures, "benchmark", "retrieval_sign_bit_agreement");
        b.append(String.format(Locale.ROOT, "%nIngestion: %s memories/s (%s). Sign-bit pass vs exact scan on %,d real embeddings: same top 5 for %s of "
                        + "the questions, top-5 overlap %s.%n", num(ingestion, "memories_per_second", 0), need(ingestion, "note"),
                ((Number) need(signBits, "memories")).longValue(), num(signBits, "same_top5", 2), num(signBits, "top5_overlap", 2)));
        return b.toString();
    }

    private static String load(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| model | users × clients (slots) | answer length | seconds | answers | errors | time to first token p50 / p95 | tokens/s, all streams "
                + "| answers per user | goal |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            if ("heavy_user_fairness".equals(f.get("figure"))) continue; // its own table below
            b.append(String.format(Locale.ROOT, "| %s | %s × %s (%s) | %s tokens | %s | %s | %s | %s / %s ms | %s | %s | %s |%n", need(f, "model"),
                    need(f, "users"), need(f, "clients_per_user"), need(f, "server_slots"), need(f, "max_tokens"), num(f, "seconds", 0),
                    need(f, "answers"), need(f, "errors"), num(f, "ttft_p50_ms", 0), num(f, "ttft_p95_ms", 0), num(f, "tokens_per_s_total", 1),
                    need(f, "answers_per_user").toString().replaceAll("[\\[\\]]", "").replace(",", " /"), goal(f)));
        }
        for (Map<String, Object> f : figures) {
            if (!"heavy_user_fairness".equals(f.get("figure"))) continue;
            b.append(String.format(Locale.ROOT, "%n| one member floods (%s clients, %s-token answers) | the other's short answer: idle p50 | under the flood p50 / max "
                    + "| flood answers (refused 429) | goal |%n|---|---|---|---|---|%n| %s | %s ms | %s / %s ms | %s (%s) | %s |%n",
                    need(f, "heavy_clients"), need(f, "heavy_max_tokens"), need(f, "model"), num(f, "light_answer_idle_p50_ms", 0),
                    num(f, "light_answer_under_flood_p50_ms", 0), num(f, "light_answer_under_flood_max_ms", 0), need(f, "heavy_answers"),
                    need(f, "heavy_refused_429"), goal(f)));
        }
        return b.toString();
    }

    private static String learning(List<Map<String, Object>> figures) {
        StringBuilder b = new StringBuilder();
        b.append("| variant | model | closed-book, last day | with memory, last day | ACC | BWT | forgetting | general probe vs base | promoted nights | minutes |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> f : figures) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", need(f, "variant"), need(f, "model"),
                    pct(f, "closedBookFinal"), pct(f, "withMemoryFinal"), num(f, "acc", 2), signed(f, "bwt", 2), num(f, "forgetting", 2),
                    signedPct(f, "generalChangeFinal"), need(f, "promotedNights"),
                    String.format(Locale.ROOT, "%.1f", ((Number) need(f, "seconds")).doubleValue() / 60)));
        }
        return b.toString();
    }

    private static Map<String, Object> figure(List<Map<String, Object>> figures, String key, String value) {
        return figures.stream().filter(f -> value.equals(f.get(key))).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no figure with " + key + " = " + value));
    }

    private static Object need(Map<String, Object> f, String key) {
        Object v = f.get(key);
        if (v == null) throw new IllegalArgumentException("figure " + f.getOrDefault("figure", f.get("benchmark")) + " has no '" + key + "'");
        return v;
    }

    private static String goal(Map<String, Object> f) {
        return need(f, "goal").toString().replace("<=", "≤").replace(">=", "≥");
    }

    private static double number(Map<String, Object> f, String key) {
        Object v = need(f, key);
        if (v instanceof Number n) return n.doubleValue();
        if (v instanceof String s && s.equals("NaN")) return Double.NaN;
        throw new IllegalArgumentException("'" + key + "' is not a number: " + v);
    }

    private static String num(Map<String, Object> f, String key, int decimals) {
        double x = number(f, key);
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%,." + decimals + "f", x);
    }

    private static String signed(Map<String, Object> f, String key, int decimals) {
        double x = number(f, key);
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%+,." + decimals + "f", x);
    }

    private static String pct(Map<String, Object> f, String key) {
        double x = number(f, key);
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * x);
    }

    private static String signedPct(Map<String, Object> f, String key) {
        double x = number(f, key);
        return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, "%+.2f%%", 100 * x);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("the record has no '" + field + "'");
        return v.asText();
    }

    static String open(String bench) { return "<!-- bench:" + bench + " -->"; }

    static String close(String bench) { return "<!-- /bench:" + bench + " -->"; }

    /** Replaces each region's body (between its markers, on lines of their own); every region must be there once. */
    static String replaceRegions(String readme, Map<String, String> regions) {
        String out = readme;
        for (Map.Entry<String, String> e : regions.entrySet()) {
            String open = open(e.getKey()) + "\n";
            String close = close(e.getKey());
            int start = out.indexOf(open);
            int end = out.indexOf(close);
            if (start < 0 || end < 0 || end < start + open.length() || out.indexOf(open, start + 1) >= 0) {
                throw new IllegalArgumentException("README.md needs exactly one region " + open.strip() + " ... " + close
                        + ", each marker on a line of its own");
            }
            out = out.substring(0, start + open.length()) + e.getValue() + out.substring(end);
        }
        return out;
    }

    /** The body of a region (empty when the README lacks it). */
    static String region(String readme, String bench) {
        int start = readme.indexOf(open(bench) + "\n");
        int end = readme.indexOf(close(bench));
        return start < 0 || end < start ? "" : readme.substring(start + open(bench).length() + 1, end);
    }
}
