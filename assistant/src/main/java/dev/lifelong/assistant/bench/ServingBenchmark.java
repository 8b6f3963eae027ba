package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.ModelTwins;
import dev.lifelong.gguf.RandomLlamaModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Serving overhead: decode tokens/s and time to first token through our {@code /v1/chat/completions} (HTTP, JSON,
 * SSE, Jetty, accounts) versus java-llama.cpp called directly, and what the user's memory adds on top (retrieval and
 * prompt assembly). Both sides do the same work: the direct side loads the model with the runtime's own llama.cpp
 * settings ({@link LlamaRuntime#modelParameters}: KV cells with their headroom, slots, threads) and samples with its
 * own request settings ({@link LlamaRuntime#inferenceParameters}), the prompts are rendered by the server's runtime,
 * the server's reported prompt tokens must equal the direct prompt's, and both sides must produce the same text
 * (greedy decoding of the same tokens on the same cache history is deterministic, so a difference means the work
 * differed). Rounds are interleaved and alternate which side goes first, so drift on the machine hits both alike.
 * Speed does not depend on weight values, so the model is the random-weight twin of SmolLM2-360M (Q8_0, the
 * catalog's exact shapes, vocabulary size and chat template).
 */
public final class ServingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final float TOP_P = 0.95f;
    private static final int SEED = 1;

    /** One timed answer; {@code promptTokens} as the side counted them (-1 where it does not say). */
    record Run(double ttftMs, double decodeTokensPerS, int tokens, String text, int promptTokens) {}

    /** The same prompt answered by java-llama.cpp and by the server. */
    record Pair(Run direct, Run served) {}

    private ServingBenchmark() {}

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out);
        Path model;
        String modelLabel;
        if (quick) {
            RandomLlamaModel.Spec spec = new RandomLlamaModel.Spec("bench-small", 4000, 8, 512, 8, 4, 1536, 2048, 1, GgmlType.Q8_0);
            model = out.resolve("models").resolve(spec.name() + "-q8_0.gguf");
            if (!Files.exists(model)) {
                Files.createDirectories(model.getParent());
                RandomLlamaModel.write(spec, model);
            }
            modelLabel = "small random model (Q8_0, 8 layers, width 512; pipeline check only)";
        } else {
            ModelTwins.Twin twin = ModelTwins.SMOLLM2_360M;
            model = BenchModels.twin(twin);
            modelLabel = twin.displayName() + " (random weights, Q8_0, " + twin.nLayer() + " layers, width " + twin.nEmbd() + ")";
        }
        int threads = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
        // the product's defaults: 2048 tokens per slot, 2 slots
        int context = 2048;
        int parallel = 2;
        int maxTokens = quick ? 16 : 96;
        int rounds = quick ? 2 : 11;
        int ttftPairs = quick ? 3 : 21;
        int distractors = quick ? 30 : 150;

        Path data = Files.createTempDirectory("lifelong-bench-serving");
        AssistantConfig config = new AssistantConfig(data, "127.0.0.1", 0, model, threads, 0, context, parallel, maxTokens, 0f, "", "off");
        List<Pair> bare = new ArrayList<>();
        List<Pair> withMemory = new ArrayList<>();
        List<Pair> bareTtft = new ArrayList<>();
        List<Pair> memoryTtft = new ArrayList<>();
        List<Double> memoryStepMs = new ArrayList<>();
        List<Integer> extraPromptTokens = new ArrayList<>();
        int memoriesStored;
        try (Assistant assistant = Assistant.start(config, null)) {
            LlamaRuntime runtime = assistant.models().require().runtime();
            String key = assistant.ownerKey();
            long owner = assistant.accounts().owner().id();
            URI base = URI.create(assistant.url());
            HttpClient http = HttpClient.newHttpClient();
            // The user's memory: a synthetic user's facts, events and distractors, stored through the memory API like the
            // memory page does. Extraction is switched off so that the memories stay the same from round to round (each
            // answer would otherwise be mined for new ones by the model, in the background, while the next round runs).
            api(http, base, key, "PATCH", "api/settings", Map.of("memoryExtraction", false, "apiMemory", true));
            SyntheticUsers.User user = SyntheticUsers.generate(new Random(11), 8, 3, distractors);
            for (SyntheticUsers.Fact f : user.facts()) api(http, base, key, "POST", "api/memories", Map.of("text", f.text(), "kind", "fact"));
            memoriesStored = user.facts().size();
            List<String> questions = user.questions().stream().map(SyntheticUsers.Question::text).toList();
            GenerationOptions options = new GenerationOptions(maxTokens, 0f, TOP_P, SEED, List.of());
            URI url = base.resolve("v1/chat/completions");
            try (LlamaModel direct = new LlamaModel(LlamaRuntime.modelParameters(runtime.file(), runtime.options(), List.of()))) {
                for (int i = -1; i < rounds; i++) {
                    // a different question each round (and a numbered one), so no side answers from a cached prompt
                    String question = "(" + i + ") " + questions.get(Math.floorMod(i, questions.size()));
                    Pair b = pair(i, direct, runtime, url, key, question, List.of(ChatTurn.user(question)), false, options);
                    Turns assembled = memoryStep(assistant, owner, runtime, question, maxTokens);
                    Pair m = pair(i, direct, runtime, url, key, question, assembled.turns(), true, options);
                    if (i >= 0) {
                        bare.add(b);
                        withMemory.add(m);
                        memoryStepMs.add(assembled.ms());
                        extraPromptTokens.add(m.direct().promptTokens() - b.direct().promptTokens());
                    }
                    System.err.printf("round %d: decode direct %.1f / server %.1f tok/s, ttft %.0f / %.0f ms; with memory %.1f / %.1f tok/s, "
                                    + "ttft %.0f / %.0f ms (+%d prompt tokens, memory step %.1f ms); %d tokens%n", i,
                            b.direct().decodeTokensPerS(), b.served().decodeTokensPerS(), b.direct().ttftMs(), b.served().ttftMs(),
                            m.direct().decodeTokensPerS(), m.served().decodeTokensPerS(), m.direct().ttftMs(), m.served().ttftMs(),
                            m.direct().promptTokens() - b.direct().promptTokens(), assembled.ms(), b.direct().tokens());
                }
                // time to first token: many short paired requests (one token each), the difference taken per pair
                GenerationOptions one = options.withMaxTokens(1);
                for (int i = 0; i < ttftPairs; i++) {
                    String question = "[" + i + "] " + questions.get(i % questions.size());
                    bareTtft.add(pair(i, direct, runtime, url, key, question, List.of(ChatTurn.user(question)), false, one));
                    Turns assembled = memoryStep(assistant, owner, runtime, question, 1);
                    memoryTtft.add(pair(i, direct, runtime, url, key, question, assembled.turns(), true, one));
                    memoryStepMs.add(assembled.ms());
                }
            }
        }
        Map<String, Object> common = new LinkedHashMap<>();
        common.put("bench", "serving");
        common.put("model", modelLabel);
        common.put("threads", threads);
        common.put("context_per_slot", context);
        common.put("slots", parallel);
        common.put("machine", MachineInfo.describe());

        List<Map<String, Object>> figures = new ArrayList<>();
        for (boolean memory : new boolean[] {false, true}) {
            List<Pair> runs = memory ? withMemory : bare;
            Map<String, Object> decode = new LinkedHashMap<>(common);
            decode.put("figure", memory ? "decode_tokens_per_s_with_memory" : "decode_tokens_per_s");
            decode.put("rounds", runs.size());
            decode.put("tokens_per_round", runs.get(0).direct().tokens());
            decode.put("direct", round(median(runs.stream().mapToDouble(p -> p.direct().decodeTokensPerS()).toArray())));
            decode.put("server", round(median(runs.stream().mapToDouble(p -> p.served().decodeTokensPerS()).toArray())));
            // the machine's speed drifts between rounds far more than the overhead; compare within each round
            double[] ratios = runs.stream().mapToDouble(p -> p.served().decodeTokensPerS() / p.direct().decodeTokensPerS()).toArray();
            double ratio = median(ratios);
            decode.put("ratio_server_over_direct", round(ratio));
            decode.put("ratio_min", round(Arrays.stream(ratios).min().orElse(0)));
            decode.put("ratio_max", round(Arrays.stream(ratios).max().orElse(0)));
            decode.put("overhead_percent", round(100 * (1 - ratio)));
            decode.put("goal", "overhead <= 5%");
            figures.add(decode);
        }
        Map<String, Object> ttft = new LinkedHashMap<>(common);
        ttft.put("figure", "time_to_first_token_ms");
        ttft.put("pairs", bareTtft.size());
        ttft.put("prompt_tokens_median", (int) median(bareTtft.stream().mapToDouble(p -> p.direct().promptTokens()).toArray()));
        ttft.put("direct", round(median(bareTtft.stream().mapToDouble(p -> p.direct().ttftMs()).toArray())));
        ttft.put("server", round(median(bareTtft.stream().mapToDouble(p -> p.served().ttftMs()).toArray())));
        ttft.put("overhead_ms", round(median(bareTtft.stream().mapToDouble(p -> p.served().ttftMs() - p.direct().ttftMs()).toArray())));
        ttft.put("goal", "overhead <= 30 ms");
        figures.add(ttft);

        // What memory costs on top: the retrieval and prompt assembly step (timed in-process, the same call the server
        // makes), the server's time-to-first-token overhead with memory on (that step + HTTP) against java-llama.cpp on
        // the same assembled prompt, and the prefill of the longer prompt (direct with memory vs direct without).
        Map<String, Object> memory = new LinkedHashMap<>(common);
        memory.put("figure", "memory_cost_ms");
        memory.put("memories_stored", memoriesStored);
        memory.put("recalled_at_most", dev.lifelong.assistant.chat.ChatService.RECALLED_MEMORIES);
        memory.put("pairs", memoryTtft.size());
        double[] step = memoryStepMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        memory.put("retrieval_and_assembly_p50", round(percentile(step, 50)));
        memory.put("retrieval_and_assembly_p95", round(percentile(step, 95)));
        memory.put("extra_prompt_tokens_median", (int) median(extraPromptTokens.stream().mapToDouble(Integer::doubleValue).toArray()));
        memory.put("ttft_direct", round(median(memoryTtft.stream().mapToDouble(p -> p.direct().ttftMs()).toArray())));
        memory.put("ttft_server", round(median(memoryTtft.stream().mapToDouble(p -> p.served().ttftMs()).toArray())));
        memory.put("ttft_overhead", round(median(memoryTtft.stream().mapToDouble(p -> p.served().ttftMs() - p.direct().ttftMs()).toArray())));
        double[] prefill = new double[memoryTtft.size()];
        for (int i = 0; i < prefill.length; i++) prefill[i] = memoryTtft.get(i).direct().ttftMs() - bareTtft.get(i).direct().ttftMs();
        memory.put("prefill_of_memory_block", round(median(prefill)));
        memory.put("goal", "—");
        figures.add(memory);
        return figures;
    }

    /** The turns the server will send for a question with memory on, and how long retrieval and assembly took. */
    record Turns(List<ChatTurn> turns, double ms) {}

    static Turns memoryStep(Assistant assistant, long user, LlamaRuntime runtime, String question, int maxTokens) {
        long t0 = System.nanoTime();
        List<ChatTurn> turns = assistant.chat().withMemories(user, runtime, List.of(ChatTurn.user(question)), maxTokens, true);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (turns.size() < 2) throw new IllegalStateException("no memory was recalled for '" + question + "'; the memory figures would measure nothing");
        return new Turns(turns, ms);
    }

    /**
     * One paired measurement, in alternating order (round parity), checked for equal work: the server's prompt tokens
     * must equal the direct prompt's, and the texts must be equal.
     */
    static Pair pair(int round, LlamaModel direct, LlamaRuntime runtime, URI url, String key, String question, List<ChatTurn> turns,
            boolean memory, GenerationOptions options) throws IOException {
        String prompt = runtime.renderPrompt(turns);
        int promptTokens = runtime.countTokens(prompt);
        Run d;
        Run s;
        if ((round & 1) == 0) {
            d = timeDirect(direct, prompt, promptTokens, options, runtime.options().contextSize());
            s = timeServed(url, key, question, memory, options);
        } else {
            s = timeServed(url, key, question, memory, options);
            d = timeDirect(direct, prompt, promptTokens, options, runtime.options().contextSize());
        }
        String side = memory ? "with memory" : "without memory";
        if (s.promptTokens() != d.promptTokens()) {
            throw new IllegalStateException("round " + round + " (" + side + "): the server's prompt has " + s.promptTokens()
                    + " tokens, the direct one " + d.promptTokens() + "; they would not do the same work");
        }
        if (!d.text().equals(s.text())) {
            int at = 0;
            while (at < Math.min(d.text().length(), s.text().length()) && d.text().charAt(at) == s.text().charAt(at)) at++;
            throw new IllegalStateException("round " + round + " (" + side + "): server and direct answers differ from character " + at
                    + " (direct " + d.tokens() + " tokens " + snippet(d.text(), at) + ", server " + s.tokens() + " tokens "
                    + snippet(s.text(), at) + "); the comparison would be unfair");
        }
        return new Pair(d, s);
    }

    private static String snippet(String text, int at) {
        return JSON.valueToTree(text.substring(Math.max(0, at - 10), Math.min(text.length(), at + 20))).toString();
    }

    /**
     * Lets the other side's llama.cpp worker threads go idle first: right after a generation they keep polling for a
     * while, and on two cores that would slow whichever side runs second.
     */
    static void settle() {
        try {
            Thread.sleep(400);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Run timeDirect(LlamaModel model, String prompt, int promptTokens, GenerationOptions options, int contextSize) {
        settle();
        // the same cap the runtime applies (the answer must fit in the slot)
        int maxTokens = Math.min(options.maxTokens(), contextSize - promptTokens);
        var params = LlamaRuntime.inferenceParameters(prompt, options, maxTokens, true);
        long start = System.nanoTime();
        long first = 0;
        long last = 0;
        int tokens = 0;
        StringBuilder text = new StringBuilder();
        for (LlamaOutput o : model.generate(params)) {
            if (o.text.isEmpty()) continue;
            long now = System.nanoTime();
            if (tokens == 0) first = now;
            last = now;
            tokens++;
            text.append(o.text);
        }
        return new Run((first - start) / 1e6, tokens > 1 ? (tokens - 1) / ((last - first) / 1e9) : 0, tokens, text.toString(), promptTokens);
    }

    /**
     * A minimal client, as curl would be: one blocking socket, HTTP/1.0 so the answer is close-delimited, one thread.
     * (java.net.http.HttpClient adds a selector thread hand-off per chunk, which on two cores shows up as "server"
     * overhead although it is the client's.)
     */
    static Run timeServed(URI url, String key, String question, boolean memory, GenerationOptions options) throws IOException {
        settle();
        byte[] body = JSON.writeValueAsBytes(Map.of("model", "default", "stream", true, "stream_options", Map.of("include_usage", true),
                "max_tokens", options.maxTokens(), "temperature", options.temperature(), "top_p", options.topP(), "seed", options.seed(),
                "messages", List.of(Map.of("role", "user", "content", question))));
        String head = "POST " + url.getPath() + " HTTP/1.0\r\nHost: " + url.getHost() + "\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + key + "\r\nX-Lifelong-Memory: " + (memory ? "on" : "off") + "\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n";
        long first = 0;
        long last = 0;
        int tokens = 0;
        int promptTokens = -1;
        StringBuilder text = new StringBuilder();
        long start;
        String status;
        try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
            socket.setTcpNoDelay(true);
            var os = socket.getOutputStream();
            start = System.nanoTime();
            os.write(head.getBytes(StandardCharsets.US_ASCII));
            os.write(body);
            os.flush();
            BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            status = r.readLine();
            String line;
            StringBuilder rest = new StringBuilder();
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("data: ")) {
                    if (rest.length() < 2000) rest.append(line).append('\n');
                    continue;
                }
                if (line.equals("data: [DONE]")) continue;
                JsonNode chunk = JSON.readTree(line.substring(6));
                if (chunk.has("error")) throw new IllegalStateException("the server failed while answering: " + chunk.get("error"));
                if (chunk.has("usage")) promptTokens = chunk.get("usage").path("prompt_tokens").asInt(-1);
                String piece = chunk.path("choices").path(0).path("delta").path("content").asText("");
                if (piece.isEmpty()) continue;
                long now = System.nanoTime();
                if (tokens == 0) first = now;
                last = now;
                tokens++;
                text.append(piece);
            }
            if (status == null || !status.contains(" 200 ")) throw new IllegalStateException("the server answered " + status + ": " + rest);
        }
        return new Run((first - start) / 1e6, tokens > 1 ? (tokens - 1) / ((last - first) / 1e9) : 0, tokens, text.toString(), promptTokens);
    }

    private static void api(HttpClient http, URI base, String key, String method, String path, Object body) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new IllegalStateException(method + " /" + path + " answered " + r.statusCode() + ": " + r.body());
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double round(double x) { return Math.round(x * 100) / 100.0; }
}
