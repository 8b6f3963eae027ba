package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.gguf.RandomLlamaModel;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded load test on loopback: several users, each with several clients, stream chats through the web UI's API at
 * once for a fixed time, each client sending its next message as soon as its answer is done. Reports time to first
 * token (p50/p95, queueing included), tokens/s over all streams, errors, and answers per user (no user starved).
 */
public final class LoadBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Answer(int user, double ttftMs, int tokens, double seconds) {}

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out);
        int users = quick ? 2 : 4;
        int clientsPerUser = quick ? 1 : 2;
        Duration length = Duration.ofSeconds(quick ? 8 : 60);
        int maxTokens = quick ? 8 : 32;
        int parallel = Integer.getInteger("bench.parallel", 2);
        int threads = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
        Path data = Files.createTempDirectory("lifelong-load");
        Path model;
        String modelName;
        Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
        if (quick || !Files.isRegularFile(seedling)) {
            model = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), data.resolve("tiny.gguf"));
            modelName = "tiny random model";
        } else {
            model = seedling;
            modelName = "seedling";
        }
        AssistantConfig config = new AssistantConfig(data, "127.0.0.1", 0, model, threads, 0, 1024, parallel, maxTokens, 0.7f,
                AssistantConfig.DEFAULT_SYSTEM_PROMPT, "off");
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong tokensTotal = new AtomicLong();
        long started;
        double seconds;
        Map<String, Object> fairness;
        try (Assistant assistant = Assistant.start(config, data.resolve("none.gguf"))) {
            String base = assistant.url();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            List<String> keys = new ArrayList<>();
            for (int u = 0; u < users; u++) {
                keys.add(assistant.accounts().addUser("load-user-" + u, null).apiKey());
            }
            // warm-up: the embedding model and the first prompt
            send(http, base, keys.get(0), conversation(http, base, keys.get(0)), "warm up", new AtomicInteger(), new ArrayList<>());
            List<Thread> clients = new ArrayList<>();
            started = System.nanoTime();
            long deadline = started + length.toNanos();
            for (int u = 0; u < users; u++) {
                for (int c = 0; c < clientsPerUser; c++) {
                    int user = u;
                    String key = keys.get(u);
                    long conv = conversation(http, base, key);
                    Thread t = new Thread(() -> {
                        int i = 0;
                        while (System.nanoTime() < deadline) {
                            long t0 = System.nanoTime();
                            AtomicInteger tokens = new AtomicInteger();
                            List<Long> firstAt = new ArrayList<>();
                            try {
                                String error = send(http, base, key, conv, "Message " + (i++) + " from user " + user + ": tell me something nice.", tokens, firstAt);
                                if (error != null) errors.add(error);
                                else answers.add(new Answer(user, firstAt.isEmpty() ? Double.NaN : (firstAt.get(0) - t0) / 1e6,
                                        tokens.get(), (System.nanoTime() - t0) / 1e9));
                                tokensTotal.addAndGet(tokens.get());
                            } catch (Exception e) {
                                errors.add(e.toString());
                            }
                        }
                    }, "load-" + u + "-" + c);
                    clients.add(t);
                    t.start();
                }
            }
            for (Thread t : clients) t.join();
            seconds = (System.nanoTime() - started) / 1e9;
            fairness = fairness(http, base, assistant, quick ? 64 : 256, quick ? 5 : 10);
        }
        double[] ttft = answers.stream().mapToDouble(Answer::ttftMs).filter(d -> !Double.isNaN(d)).sorted().toArray();
        int[] perUser = new int[users];
        for (Answer a : answers) perUser[a.user()]++;
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "load");
        f.put("figure", "concurrent_streaming_chats");
        f.put("model", modelName);
        f.put("users", users);
        f.put("clients_per_user", clientsPerUser);
        f.put("concurrent_streams", users * clientsPerUser);
        f.put("server_slots", parallel);
        f.put("threads", threads);
        f.put("max_tokens", maxTokens);
        f.put("seconds", round(seconds));
        f.put("answers", answers.size());
        f.put("errors", errors.size());
        if (!errors.isEmpty()) f.put("first_error", errors.peek());
        f.put("ttft_p50_ms", round(percentile(ttft, 50)));
        f.put("ttft_p95_ms", round(percentile(ttft, 95)));
        f.put("ttft_max_ms", round(ttft.length == 0 ? Double.NaN : ttft[ttft.length - 1]));
        f.put("tokens_per_s_total", round(tokensTotal.get() / seconds));
        f.put("answers_per_user", Arrays.stream(perUser).boxed().toList());
        f.put("starved_users", Arrays.stream(perUser).filter(n -> n == 0).count());
        f.put("goal", "zero errors, no user starved");
        f.put("machine", MachineInfo.describe());
        fairness.put("model", modelName);
        fairness.put("server_slots", parallel);
        fairness.put("machine", MachineInfo.describe());
        return List.of(f, fairness);
    }

    /**
     * One member floods the server with long completions (as many at once as the queue admits, again and again) while
     * another asks short questions: how long the short answers take, against the same questions on an idle server.
     * The fair queue should keep the difference to about one slot's share of the CPU, not the flood's length.
     */
    static Map<String, Object> fairness(HttpClient http, String base, Assistant assistant, int heavyTokens, int lightQuestions) throws Exception {
        String heavy = assistant.accounts().addUser("flooding-member", null).apiKey();
        String light = assistant.accounts().addUser("other-member", null).apiKey();
        List<Double> idle = new ArrayList<>();
        for (int i = 0; i < 3; i++) idle.add(complete(http, base, light, 4, "a short question " + i).seconds() * 1000);
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger heavyDone = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        List<Thread> flood = new ArrayList<>();
        for (int c = 0; c < dev.lifelong.assistant.runtime.GenerationQueue.PER_USER + 2; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                int i = 0;
                while (!stop.get()) {
                    try {
                        Completed r = complete(http, base, heavy, heavyTokens, "tell me a long story, part " + client + "." + (i++));
                        if (r.status() == 429) {
                            refused.incrementAndGet();
                            Thread.sleep(200);
                        } else {
                            heavyDone.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "flood-" + c);
            flood.add(t);
            t.start();
        }
        Thread.sleep(1000);
        List<Double> loaded = new ArrayList<>();
        for (int i = 0; i < lightQuestions; i++) {
            loaded.add(complete(http, base, light, 4, "a short question under load " + i).seconds() * 1000);
            Thread.sleep(300);
        }
        stop.set(true);
        for (Thread t : flood) t.join(600_000);
        double[] under = loaded.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] alone = idle.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "load");
        f.put("figure", "heavy_user_fairness");
        f.put("heavy_clients", flood.size());
        f.put("heavy_max_tokens", heavyTokens);
        f.put("heavy_answers", heavyDone.get());
        f.put("heavy_refused_429", refused.get());
        f.put("light_answer_idle_p50_ms", round(percentile(alone, 50)));
        f.put("light_answer_under_flood_p50_ms", round(percentile(under, 50)));
        f.put("light_answer_under_flood_max_ms", round(under.length == 0 ? Double.NaN : under[under.length - 1]));
        f.put("goal", "the light member's short answers wait for at most one of the flood's answers");
        return f;
    }

    record Completed(int status, double seconds) {}

    static Completed complete(HttpClient http, String base, String key, int maxTokens, String text) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json").header("X-Lifelong-Memory", "off")
                .timeout(Duration.ofSeconds(600))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("max_tokens", maxTokens, "temperature", 0.8,
                        "messages", List.of(Map.of("role", "user", "content", text)))))).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 && r.statusCode() != 429) throw new IllegalStateException("completion: " + r.statusCode() + " " + r.body());
        return new Completed(r.statusCode(), (System.nanoTime() - t0) / 1e9);
    }

    static long conversation(HttpClient http, String base, String key) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "api/conversations")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) throw new IllegalStateException("creating a conversation: " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body()).get("id").asLong();
    }

    /** Streams one answer; returns an error description, or null when it completed. */
    static String send(HttpClient http, String base, String key, long conv, String text, AtomicInteger tokens, List<Long> firstAt) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "api/conversations/" + conv + "/messages"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json").timeout(Duration.ofSeconds(600))
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("content", text)))).build();
        HttpResponse<java.io.InputStream> res = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader r = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
            if (res.statusCode() != 200) return "HTTP " + res.statusCode();
            String event = null;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("event: ")) event = line.substring(7);
                else if (line.startsWith("data: ")) {
                    if ("token".equals(event)) {
                        if (firstAt.isEmpty()) firstAt.add(System.nanoTime());
                        tokens.incrementAndGet();
                    } else if ("error".equals(event)) {
                        return "error event: " + line.substring(6);
                    } else if ("done".equals(event)) {
                        JsonNode done = JSON.readTree(line.substring(6));
                        return "complete".equals(done.path("status").asText()) ? null : "answer ended " + done.path("status").asText();
                    }
                }
            }
        }
        return "stream ended without done";
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double round(double x) { return Double.isNaN(x) ? x : Math.round(x * 10) / 10.0; }
}
