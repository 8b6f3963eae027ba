package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.loop.FactProbe;
import dev.lifelong.loop.LifelongUpdate;
import dev.lifelong.loop.UpdateListener;
import dev.lifelong.loop.UpdateOutcome;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.memory.UpdateJob;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.Users;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Does a week of nightly updates make the assistant know its user without forgetting? A synthetic user
 * ({@link SyntheticPersona}) chats with the real server through its HTTP API for a number of simulated days and keeps
 * what they told on the memory page (added, or edited when a fact changes); after each day the real update curates,
 * replays, trains and gates an adapter, and the benchmark asks every fact closed-book (memory off, the adapter alone) and
 * with memory, measures answer length (the user asked for short answers) and reads the general-probe change. Variants
 * in one run: retrieval only (no training), replay 0%, 1% (the product default, at least 8 examples), 5%, and 1% with
 * the L2 anchor. Writes learning-report.json, learning.md and two PNG charts.
 */
public final class LearningBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A way to run the nights. */
    record Variant(String name, boolean train, double replayRatio, int replayMinimum, float anchor, float lr, int epochs, double maxGeneralLoss,
            double factWeight, boolean factVariants, int selfReplay) {
        /** The product's defaults with the replay and anchor given. */
        Variant(String name, boolean train, double replayRatio, int replayMinimum, float anchor) {
            this(name, train, replayRatio, replayMinimum, anchor, UpdateSettings.defaults().lr(), UpdateSettings.defaults().epochs(),
                    UpdateSettings.Gate.defaults().maxGeneralLoss(), 1.0, UpdateSettings.defaults().factVariants(),
                    UpdateSettings.defaults().selfReplay());
        }

        Variant withoutFactVariants(String n) {
            return new Variant(n, train, replayRatio, replayMinimum, anchor, lr, epochs, maxGeneralLoss, factWeight, false, selfReplay);
        }

        Variant withSelfReplay(String n, int count) {
            return new Variant(n, train, replayRatio, replayMinimum, anchor, lr, epochs, maxGeneralLoss, factWeight, factVariants, count);
        }
    }

    private LearningBenchmark() {
    }

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out);
        Path work = Files.createDirectories(out.resolve("learning-work"));
        Path model;
        Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
        if (quick) {
            model = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), work.resolve("tiny.gguf"));
        } else {
            if (!Files.isRegularFile(seedling)) throw new IllegalStateException("the default model (the seedling) is missing: " + seedling);
            model = seedling;
        }
        int days = quick ? 2 : 7;
        SyntheticPersona persona = new SyntheticPersona(7, days, quick ? 2 : 3, quick ? 1 : 3);
        // Issue 18: the default (fact variants, self-replay, 1% replay) against each of its parts taken away, replay 0% and
        // 5%, and the L2 anchor; retrieval only as the floor.
        Variant dflt = new Variant("default", true, 0.01, 8, 0);
        List<Variant> variants = quick
                ? List.of(new Variant("retrieval-only", false, 0, 0, 0),
                        new Variant("replay-0%", true, 0, 0, 0).withoutFactVariants("replay-0%").withSelfReplay("replay-0%", 0), dflt)
                : List.of(new Variant("retrieval-only", false, 0, 0, 0), dflt,
                        dflt.withoutFactVariants("no fact variants"), dflt.withSelfReplay("no self-replay", 0),
                        new Variant("replay-0%", true, 0, 0, 0), new Variant("replay-5%", true, 0.05, 0, 0),
                        new Variant("anchor 1.0", true, 0.01, 8, 1f));
        String only = System.getenv("LIFELONG_LEARNING_VARIANTS");
        if (only != null && !only.isBlank()) {
            List<String> names = List.of(only.split(";"));
            variants = variants.stream().filter(v -> names.contains(v.name())).toList();
            if (variants.isEmpty()) throw new IllegalArgumentException("LIFELONG_LEARNING_VARIANTS names no variant: " + only);
        }
        Map<String, Object> machine = MachineInfo.describe();
        List<Map<String, Object>> results = new ArrayList<>();
        for (Variant v : variants) {
            long started = System.nanoTime();
            Map<String, Object> r = runVariant(v, persona, model, quick ? work.resolve("none.gguf") : seedling, work.resolve(safe(v.name())), quick);
            r.put("seconds", Math.round((System.nanoTime() - started) / 1e9));
            r.put("machine", machine);
            r.put("model", quick ? "tiny random model" : "seedling");
            System.err.println("learning benchmark: " + v.name() + " done in " + r.get("seconds") + " s");
            results.add(r);
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("benchmark", "learning");
        report.put("quick", quick);
        report.put("days", days);
        report.put("machine", machine);
        report.put("goals", Map.of("closedBookAccuracyDay7", 0.8, "withMemoryAccuracyDay7", 0.95, "generalProbeLossMaxIncrease", 0.02,
                "replay1LessForgettingThanReplay0", true));
        report.put("variants", results);
        Files.writeString(out.resolve("learning-report.json"), JSON.enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
        JSON.disable(SerializationFeature.INDENT_OUTPUT);
        Files.writeString(out.resolve("learning.md"), LearningReport.markdown(results, days, quick), StandardCharsets.UTF_8);
        LearningReport.accuracyChart(results, out.resolve("learning-accuracy.png"));
        LearningReport.forgettingChart(results, out.resolve("learning-forgetting.png"));
        List<Map<String, Object>> figures = new ArrayList<>();
        for (Map<String, Object> r : results) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("benchmark", "learning");
            for (String k : List.of("variant", "replayRatio", "replayMinimum", "anchor", "acc", "bwt", "fwt", "forgetting", "closedBookFinal",
                    "withMemoryFinal", "generalChangeFinal", "seconds", "model")) f.put(k, r.get(k));
            @SuppressWarnings("unchecked") List<String> verdicts = (List<String>) r.get("verdicts");
            f.put("promotedNights", (Boolean) r.get("train")
                    ? verdicts.stream().filter(v -> v.startsWith("promoted")).count() + " of " + verdicts.size() : "–");
            f.put("machine", machine);
            figures.add(f);
        }
        return figures;
    }

    private static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9]+", "-");
    }

    private static Map<String, Object> runVariant(Variant v, SyntheticPersona persona, Path model, Path seedling, Path data, boolean quick)
            throws Exception {
        if (Files.exists(data)) deleteRecursively(data);
        Files.createDirectories(data);
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        AssistantConfig config = new AssistantConfig(data, "127.0.0.1", 0, model, threads, 0, 1024, 1, quick ? 16 : 32, 0f,
                AssistantConfig.DEFAULT_SYSTEM_PROMPT, "off");
        int days = persona.days.size();
        double[][] r = new double[days][days];
        double[] base = new double[days];
        List<Double> closedSeen = new ArrayList<>();
        List<Double> naturalSeen = new ArrayList<>();
        Map<String, Object> out = new LinkedHashMap<>();
        List<Double> memorySeen = new ArrayList<>();
        List<Double> updatedWins = new ArrayList<>();
        List<Double> answerTokens = new ArrayList<>();
        List<Double> general = new ArrayList<>();
        List<String> verdicts = new ArrayList<>();
        List<List<SyntheticPersona.Fact>> finalTasks = persona.currentFactsByDay(days - 1);
        double baseTokens;
        try (Assistant assistant = Assistant.start(config, seedling)) {
            Client c = new Client(assistant.url(), assistant.ownerKey());
            c.send("PATCH", "/api/settings", Map.of("memoryExtraction", false));
            for (int j = 0; j < days; j++) base[j] = closedBook(c, finalTasks.get(j));
            baseTokens = answerLength(c);
            double lastGeneral = 0;
            for (int d = 0; d < days; d++) {
                SyntheticPersona.Day day = persona.days.get(d);
                long conv = c.send("POST", "/api/conversations", Map.of("title", "day " + (d + 1))).get("id").asLong();
                for (String message : day.messages()) c.chat(conv, message);
                for (SyntheticPersona.Fact f : day.facts()) keepOnMemoryPage(c, persona, f);
                if (v.train()) {
                    UpdateSettings settings = UpdateSettings.defaults().withSystemPrompt(AssistantConfig.DEFAULT_SYSTEM_PROMPT)
                            .withReplay(v.replayRatio(), v.replayMinimum()).withAnchor(v.anchor()).withThreads(threads).withSeed(d + 1)
                            .withTraining(8, v.lr(), v.epochs()).withFactWeight(v.factWeight())
                            .withFactVariants(v.factVariants()).withSelfReplay(v.selfReplay())
                            .withGate(new UpdateSettings.Gate(UpdateSettings.Gate.defaults().minPlasticityGain(),
                                    UpdateSettings.Gate.defaults().maxStabilityLoss(), v.maxGeneralLoss(), UpdateSettings.Gate.defaults().maxFactAccuracyDrop()));
                    if (d == 0 && v.name().equals("default") && !quick) {
                        out.put("gateNoise", gateNoise(assistant, data, model, settings));
                    }
                    UpdateJobStore jobs = new UpdateJobStore(assistant.database());
                    UpdateJob job = jobs.startNow(Users.OWNER_ID, UpdateJob.Origin.NIGHTLY);
                    UpdateOutcome o = new LifelongUpdate(assistant.database(), data, model, settings).run(Users.OWNER_ID, job.id(), UpdateListener.NONE);
                    jobs.succeeded(job.id(), o.version() == null ? null : o.version().id());
                    verdicts.add(o.summary());
                    if (o.promoted()) lastGeneral = JSON.readTree(o.version().report()).path("general").asDouble();
                }
                general.add(lastGeneral);
                for (int j = 0; j < days; j++) r[d][j] = closedBook(c, finalTasks.get(j));
                List<SyntheticPersona.Fact> seen = new ArrayList<>();
                for (List<SyntheticPersona.Fact> t : persona.currentFactsByDay(d)) seen.addAll(t);
                closedSeen.add(closedBook(c, seen));
                naturalSeen.add(closedBookNatural(c, seen));
                memorySeen.add(withMemory(c, seen));
                List<SyntheticPersona.Fact> updates = seen.stream().filter(SyntheticPersona.Fact::update).toList();
                updatedWins.add(updates.isEmpty() ? null : closedBook(c, updates));
                answerTokens.add(answerLength(c));
            }
        }
        ContinualMetrics m = ContinualMetrics.of(r, base);
        out.put("variant", v.name());
        out.put("train", v.train());
        out.put("replayRatio", v.replayRatio());
        out.put("replayMinimum", v.replayMinimum());
        out.put("anchor", v.anchor());
        out.put("lr", v.lr());
        out.put("epochs", v.epochs());
        out.put("maxGeneralLoss", v.maxGeneralLoss());
        out.put("factWeight", v.factWeight());
        out.put("factVariants", v.factVariants());
        out.put("selfReplay", v.selfReplay());
        out.put("acc", m.acc());
        out.put("bwt", m.bwt());
        out.put("fwt", m.fwt());
        out.put("forgetting", m.forgetting());
        out.put("R", r);
        out.put("base", base);
        out.put("closedBookSeen", closedSeen);
        out.put("withMemorySeen", memorySeen);
        out.put("updatedFactNewValueWins", updatedWins);
        out.put("answerTokens", answerTokens);
        out.put("baseAnswerTokens", baseTokens);
        out.put("generalChange", general);
        out.put("verdicts", verdicts);
        out.put("closedBookFinal", closedSeen.getLast());
        out.put("closedBookNaturalSeen", naturalSeen);
        out.put("closedBookNaturalFinal", naturalSeen.getLast());
        out.put("withMemoryFinal", memorySeen.getLast());
        out.put("generalChangeFinal", general.getLast());
        return out;
    }

    /** The user keeps their facts on the memory page: a new fact is added, a changed one edited in place. */
    private static void keepOnMemoryPage(Client c, SyntheticPersona persona, SyntheticPersona.Fact f) throws Exception {
        if (f.update()) {
            SyntheticPersona.Fact old = persona.replaced(f);
            for (JsonNode m : c.send("GET", "/api/memories?limit=500", null)) {
                if (m.get("text").asText().equals(old.memory())) {
                    c.send("PATCH", "/api/memories/" + m.get("id").asLong(), Map.of("text", f.memory()));
                    return;
                }
            }
        }
        c.send("POST", "/api/memories", Map.of("text", f.memory(), "kind", "fact"));
    }

    /** Share of facts answered with their value, memory off (the adapter alone), asked the way the loop teaches them. */
    static double closedBook(Client c, List<SyntheticPersona.Fact> facts) throws Exception {
        if (facts.isEmpty()) return Double.NaN;
        int right = 0;
        for (SyntheticPersona.Fact f : facts) {
            FactProbe p = FactProbe.of(f.memory());
            List<Map<String, String>> messages = List.of(Map.of("role", "system", "content", AssistantConfig.DEFAULT_SYSTEM_PROMPT),
                    Map.of("role", "user", "content", p.question()));
            JsonNode res = c.send("POST", "/v1/chat/completions", Map.of("model", "default", "messages", messages, "max_tokens", 16,
                    "temperature", 0), "X-Lifelong-Memory", "off");
            if (contains(res.at("/choices/0/message/content").asText(), f.value())) right++;
        }
        return (double) right / facts.size();
    }

    /**
     * Closed-book accuracy on questions worded the way people ask, none of them a wording the update trains on
     * ({@link SyntheticPersona#naturalQuestion}): whether the facts generalise beyond the trained phrasings.
     */
    static double closedBookNatural(Client c, List<SyntheticPersona.Fact> facts) throws Exception {
        if (facts.isEmpty()) return Double.NaN;
        int right = 0;
        for (SyntheticPersona.Fact f : facts) {
            List<Map<String, String>> messages = List.of(Map.of("role", "system", "content", AssistantConfig.DEFAULT_SYSTEM_PROMPT),
                    Map.of("role", "user", "content", SyntheticPersona.naturalQuestion(f.slot())));
            JsonNode res = c.send("POST", "/v1/chat/completions", Map.of("model", "default", "messages", messages, "max_tokens", 24,
                    "temperature", 0), "X-Lifelong-Memory", "off");
            if (contains(res.at("/choices/0/message/content").asText(), f.value())) right++;
        }
        return (double) right / facts.size();
    }

    /**
     * The gate's noise: night 1 run as trials (nothing recorded) with the same seed twice and with two other seeds;
     * the spread of each figure is what a threshold must clear to judge signal, and two runs with one seed must agree.
     */
    static Map<String, Object> gateNoise(Assistant assistant, Path data, Path model, UpdateSettings settings) throws Exception {
        List<Map<String, Object>> trials = new ArrayList<>();
        long[] seeds = {1, 1, 2, 3};
        for (int i = 0; i < seeds.length; i++) {
            LifelongUpdate.Trial t = new LifelongUpdate(assistant.database(), data, model, settings.withSeed(seeds[i]))
                    .trial(Users.OWNER_ID, 900_000 + i, UpdateListener.NONE);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("seed", seeds[i]);
            row.put("plasticity", t.metrics().plasticity());
            row.put("general", t.metrics().generalChange());
            row.put("factsAfter", t.metrics().factsAfter());
            row.put("promote", t.verdict().promote());
            trials.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("trials", trials);
        for (String k : List.of("plasticity", "general")) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (Map<String, Object> t : trials) {
                double x = ((Number) t.get(k)).doubleValue();
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            out.put(k + "Spread", max - min);
        }
        out.put("sameSeedIdentical", trials.get(0).get("plasticity").equals(trials.get(1).get("plasticity"))
                && trials.get(0).get("general").equals(trials.get(1).get("general")));
        return out;
    }

    /** The same questions in a private UI conversation, where the memory block is in the prompt. */
    static double withMemory(Client c, List<SyntheticPersona.Fact> facts) throws Exception {
        if (facts.isEmpty()) return Double.NaN;
        int right = 0;
        for (SyntheticPersona.Fact f : facts) {
            long conv = c.send("POST", "/api/conversations", Map.of("title", "evaluation")).get("id").asLong();
            c.send("PATCH", "/api/conversations/" + conv, Map.of("private", true));
            if (contains(c.chat(conv, FactProbe.of(f.memory()).question()), f.value())) right++;
            c.send("DELETE", "/api/conversations/" + conv, null);
        }
        return (double) right / facts.size();
    }

    /** Mean answer length in tokens on open questions, memory off (the user asked for short answers on day 1). */
    static double answerLength(Client c) throws Exception {
        double sum = 0;
        for (String q : SyntheticPersona.OPEN_QUESTIONS) {
            JsonNode res = c.send("POST", "/v1/chat/completions", Map.of("model", "default", "messages", List.of(Map.of("role", "user", "content", q)),
                    "max_tokens", 64, "temperature", 0), "X-Lifelong-Memory", "off");
            sum += res.at("/usage/completion_tokens").asDouble();
        }
        return sum / SyntheticPersona.OPEN_QUESTIONS.length;
    }

    static boolean contains(String answer, String value) {
        return answer.toLowerCase(Locale.ROOT).contains(value.toLowerCase(Locale.ROOT));
    }

    /** A small JSON client for the server under test. */
    static final class Client {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final String base;
        private final String key;

        Client(String base, String key) {
            this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
            this.key = key;
        }

        JsonNode send(String method, String path, Object body, String... header) throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(300))
                    .header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            for (int i = 0; i + 1 < header.length; i += 2) b.header(header[i], header[i + 1]);
            HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() >= 300) throw new IOException(method + " " + path + " → " + res.statusCode() + ": " + res.body());
            return res.body().isEmpty() ? JSON.nullNode() : JSON.readTree(res.body());
        }

        /** Sends a chat message and returns the answer (read from the event stream's done event). */
        String chat(long conversation, String text) throws IOException, InterruptedException {
            HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/conversations/" + conversation + "/messages"))
                    .timeout(Duration.ofSeconds(300)).header("Content-Type", "application/json").header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("content", text)))).build();
            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (res.statusCode() != 200) throw new IOException("chat → " + res.statusCode() + ": " + res.body());
            String event = null;
            for (String line : res.body().split("\n")) {
                if (line.startsWith("event: ")) event = line.substring(7).strip();
                else if (line.startsWith("data: ") && "done".equals(event)) return JSON.readTree(line.substring(6)).path("content").asText();
                else if (line.startsWith("data: ") && "error".equals(event)) throw new IOException("the answer failed: " + line);
            }
            throw new IOException("no answer in the event stream");
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
