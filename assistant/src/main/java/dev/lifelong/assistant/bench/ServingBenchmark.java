package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.RandomLlamaModel;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serving overhead: decode tokens/s and time to first token through our {@code /v1/chat/completions} (HTTP, JSON,
 * SSE, Jetty) versus java-llama.cpp called directly, on the same model file, threads, prompt and greedy settings,
 * interleaved run by run so drift on the machine hits both sides alike. Speed does not depend on weight values, so the
 * model is a random-weight GGUF with the shapes of SmolLM2-360M (Q8_0).
 */
public final class ServingBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One timed answer. */
    record Run(double ttftMs, double decodeTokensPerS, int tokens, String text) {}

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out);
        RandomLlamaModel.Spec spec = quick
                ? new RandomLlamaModel.Spec("bench-small", 4000, 8, 512, 8, 4, 1536, 2048, 1, GgmlType.Q8_0)
                : RandomLlamaModel.Spec.smollm2_360m().withWeightType(GgmlType.Q8_0);
        Path model = out.resolve("models").resolve(spec.name() + "-q8_0.gguf");
        if (!Files.exists(model)) {
            System.err.println("writing random-weight model " + model + " ...");
            Files.createDirectories(model.getParent());
            RandomLlamaModel.write(spec, model);
        }
        int threads = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
        int maxTokens = quick ? 48 : 96;
        int runs = quick ? 3 : 11;
        int context = 2048;

        Path data = Files.createTempDirectory("lifelong-bench");
        dev.lifelong.llama.LlamaNative.prepare();
        AssistantConfig config = new AssistantConfig(data, "127.0.0.1", 0, model, threads, 0, context, 1, maxTokens, 0f, "", "off");
        List<Run> direct = new ArrayList<>();
        List<Run> served = new ArrayList<>();
        List<Double> ttftDirect = new ArrayList<>();
        List<Double> ttftServed = new ArrayList<>();
        int ttftPairs = quick ? 9 : 21;
        try (Assistant assistant = Assistant.start(config, null);
             LlamaModel raw = new LlamaModel(new ModelParameters().setModel(model.toString()).setThreads(threads)
                     .setThreadsBatch(threads).setCtxSize(context).setParallel(1).setGpuLayers(0).enableJinja().disableLog())) {
            URI url = URI.create(assistant.url() + "v1/chat/completions");
            String key = assistant.ownerKey();
            for (int i = -1; i < runs; i++) {
                // a new first line each round, so neither side answers from a cached prompt
                String question = "Round " + i + ": tell me about the history of the bicycle, in detail, please.";
                String prompt = assistant.models().require().runtime().renderPrompt(List.of(ChatTurn.user(question)));
                // alternate which side goes first, so neither always runs in the other's wake
                Run d;
                Run s;
                if ((i & 1) == 0) {
                    d = timeDirect(raw, prompt, maxTokens);
                    s = timeServed(url, key, question, maxTokens);
                } else {
                    s = timeServed(url, key, question, maxTokens);
                    d = timeDirect(raw, prompt, maxTokens);
                }
                if (!d.text().equals(s.text())) {
                    throw new IllegalStateException("server and direct answers differ in round " + i + "; the comparison would be unfair");
                }
                if (i >= 0) {
                    direct.add(d);
                    served.add(s);
                }
                System.err.printf("round %d: direct %.1f tok/s ttft %.1f ms | server %.1f tok/s ttft %.1f ms (%d tokens)%n",
                        i, d.decodeTokensPerS(), d.ttftMs(), s.decodeTokensPerS(), s.ttftMs(), d.tokens());
            }
            // time to first token: many short paired requests (one token each), the difference taken per pair
            for (int i = 0; i < ttftPairs; i++) {
                String question = "Question " + i + ": what is a bicycle?";
                String prompt = assistant.models().require().runtime().renderPrompt(List.of(ChatTurn.user(question)));
                Run d;
                Run s;
                if ((i & 1) == 0) {
                    d = timeDirect(raw, prompt, 1);
                    s = timeServed(url, key, question, 1);
                } else {
                    s = timeServed(url, key, question, 1);
                    d = timeDirect(raw, prompt, 1);
                }
                ttftDirect.add(d.ttftMs());
                ttftServed.add(s.ttftMs());
            }
        }
        Map<String, Object> common = new LinkedHashMap<>();
        common.put("bench", "serving");
        common.put("model", spec.name() + " (random weights, Q8_0, " + spec.nLayer() + " layers, width " + spec.nEmbd()
                + ", vocab " + spec.vocabSize() + ")");
        common.put("threads", threads);
        common.put("runs", runs);
        common.put("tokens_per_run", direct.get(0).tokens());
        common.put("machine", MachineInfo.describe());

        double dDecode = median(direct.stream().mapToDouble(Run::decodeTokensPerS).toArray());
        double sDecode = median(served.stream().mapToDouble(Run::decodeTokensPerS).toArray());
        double dTtft = median(ttftDirect.stream().mapToDouble(Double::doubleValue).toArray());
        double sTtft = median(ttftServed.stream().mapToDouble(Double::doubleValue).toArray());
        double[] pairDiff = new double[ttftDirect.size()];
        for (int i = 0; i < pairDiff.length; i++) pairDiff[i] = ttftServed.get(i) - ttftDirect.get(i);
        List<Map<String, Object>> figures = new ArrayList<>();
        Map<String, Object> decode = new LinkedHashMap<>(common);
        decode.put("figure", "decode_tokens_per_s");
        decode.put("direct", round(dDecode));
        decode.put("server", round(sDecode));
        // the machine's speed drifts between rounds far more than the overhead; compare within each round
        double[] ratios = new double[direct.size()];
        for (int i = 0; i < ratios.length; i++) ratios[i] = served.get(i).decodeTokensPerS() / direct.get(i).decodeTokensPerS();
        double ratio = median(ratios);
        decode.put("ratio_server_over_direct", round(ratio));
        decode.put("ratio_min", round(Arrays.stream(ratios).min().orElse(0)));
        decode.put("ratio_max", round(Arrays.stream(ratios).max().orElse(0)));
        decode.put("overhead_percent", round(100 * (1 - ratio)));
        decode.put("goal", "overhead <= 5%");
        figures.add(decode);
        Map<String, Object> ttft = new LinkedHashMap<>(common);
        ttft.put("figure", "time_to_first_token_ms");
        ttft.put("direct", round(dTtft));
        ttft.put("server", round(sTtft));
        ttft.put("ratio_server_over_direct", round(sTtft / dTtft));
        ttft.put("pairs", pairDiff.length);
        ttft.put("overhead_ms", round(median(pairDiff)));
        ttft.put("goal", "overhead <= 30 ms");
        figures.add(ttft);
        return figures;
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

    static Run timeDirect(LlamaModel model, String prompt, int maxTokens) {
        settle();
        InferenceParameters p = new InferenceParameters(prompt).setNPredict(maxTokens).setTemperature(0).setSeed(1).setCachePrompt(true);
        long start = System.nanoTime();
        long first = 0;
        long last = 0;
        int tokens = 0;
        StringBuilder text = new StringBuilder();
        for (LlamaOutput o : model.generate(p)) {
            if (o.text.isEmpty()) continue;
            long now = System.nanoTime();
            if (tokens == 0) first = now;
            last = now;
            tokens++;
            text.append(o.text);
        }
        return new Run((first - start) / 1e6, tokens > 1 ? (tokens - 1) / ((last - first) / 1e9) : 0, tokens, text.toString());
    }

    /**
     * A minimal client, as curl would be: one blocking socket, HTTP/1.0 so the answer is close-delimited, one thread.
     * (java.net.http.HttpClient adds a selector thread hand-off per chunk, which on two cores shows up as "server"
     * overhead although it is the client's.)
     */
    static Run timeServed(URI url, String key, String question, int maxTokens) throws IOException {
        settle();
        byte[] body = JSON.writeValueAsBytes(Map.of("model", "default", "stream", true, "max_tokens", maxTokens,
                "temperature", 0, "seed", 1, "messages", List.of(Map.of("role", "user", "content", question))));
        String head = "POST " + url.getPath() + " HTTP/1.0\r\nHost: " + url.getHost() + "\r\nContent-Type: application/json\r\n"
                + "Authorization: Bearer " + key + "\r\n" + "Content-Length: " + body.length + "\r\n\r\n";
        long first = 0;
        long last = 0;
        int tokens = 0;
        StringBuilder text = new StringBuilder();
        long start;
        try (java.net.Socket socket = new java.net.Socket(url.getHost(), url.getPort())) {
            socket.setTcpNoDelay(true);
            var os = socket.getOutputStream();
            start = System.nanoTime();
            os.write(head.getBytes(StandardCharsets.US_ASCII));
            os.write(body);
            os.flush();
            BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode chunk = JSON.readTree(line.substring(6));
                String piece = chunk.path("choices").path(0).path("delta").path("content").asText("");
                if (piece.isEmpty()) continue;
                long now = System.nanoTime();
                if (tokens == 0) first = now;
                last = now;
                tokens++;
                text.append(piece);
            }
        }
        return new Run((first - start) / 1e6, tokens > 1 ? (tokens - 1) / ((last - first) / 1e9) : 0, tokens, text.toString());
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double round(double x) { return Math.round(x * 100) / 100.0; }
}
