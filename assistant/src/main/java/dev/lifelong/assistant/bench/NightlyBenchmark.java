package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.gguf.ModelTwins;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.loop.LifelongUpdate;
import dev.lifelong.loop.UpdateListener;
import dev.lifelong.loop.UpdateOutcome;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.Turn;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.FeedbackStore;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One user's nightly update, as the scheduler runs it with default settings, timed phase by phase: a first night on
 * earlier history (so the measured night continues an adapter and replays 1% of older data), then a day of about
 * 20,000 new tokens of chats with facts kept in memory and a correction. Figures: wall time of each phase (dataset and
 * self-replay, tokenizing, training — the process's load of the base, its steps and the gate's scoring right after —,
 * gating, promoting), the training process's peak memory, tokens trained, epochs, and the verdict. On the twins of
 * Qwen2.5-0.5B and Llama-3.2-1B (speed does not depend on the weights' values); {@code --quick}: the tiny model and a
 * day of about 600 tokens.
 */
public final class NightlyBenchmark {
    private NightlyBenchmark() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Goals from issue 20, per model. */
    static String goal(String model) {
        if (model.startsWith("qwen2.5-0.5b")) return "total <= 15 min";
        if (model.startsWith("llama-3.2-1b")) return "total <= 30 min";
        return "—";
    }

    /** New tokens of the measured day: 20,000, or {@code LIFELONG_NIGHTLY_TOKENS} (e.g. a short check on a large model). */
    static int dayTokens() {
        String v = System.getenv("LIFELONG_NIGHTLY_TOKENS");
        if (v == null || v.isBlank()) return 20_000;
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 200) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LIFELONG_NIGHTLY_TOKENS must be a whole number of at least 200, not '" + v + "'");
        }
    }

    public static List<Map<String, Object>> run(Path out, boolean quick) throws Exception {
        Files.createDirectories(out);
        Map<String, Path> subjects = new LinkedHashMap<>();
        if (quick) {
            subjects.put("tiny test model (pipeline check only)",
                    RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), Files.createDirectories(out.resolve("models")).resolve("tiny.gguf")));
        } else {
            subjects.put(ModelTwins.QWEN25_05B.catalogId(), BenchModels.twin(ModelTwins.QWEN25_05B));
            if (!"0".equals(System.getenv("LIFELONG_NIGHTLY_LLAMA"))) {
                subjects.put(ModelTwins.LLAMA32_1B.catalogId(), BenchModels.twin(ModelTwins.LLAMA32_1B));
            }
        }
        List<Map<String, Object>> figures = new ArrayList<>();
        for (var s : subjects.entrySet()) {
            System.err.println("nightly benchmark: " + s.getKey() + " ...");
            figures.add(measure(s.getKey(), s.getValue(), out.resolve("nightly-" + figures.size()), quick ? 600 : dayTokens()));
        }
        return figures;
    }

    public static Map<String, Object> measure(String label, Path model, Path dataDir, int dayTokens) throws Exception {
        if (Files.exists(dataDir)) deleteRecursively(dataDir);
        Files.createDirectories(dataDir);
        UpdateSettings settings = UpdateSettings.defaults();
        SplittableRandom random = new SplittableRandom(20);
        long historyTokens;
        try (Database db = Database.open(dataDir.resolve("lifelong.db"));
                ChatTokenizer tokenizer = ChatTokenizer.open(model)) {
            historyTokens = chats(db, tokenizer, random, "earlier", Math.max(200, dayTokens / 10));
        }
        try (Database updates = Database.open(dataDir.resolve("lifelong.db"))) {
            return nights(label, model, dataDir, settings, updates, random, historyTokens, dayTokens);
        }
    }

    private static Map<String, Object> nights(String label, Path model, Path dataDir, UpdateSettings settings, Database updates,
            SplittableRandom random, long historyTokens, int dayTokens) throws Exception {
        long dayTokensWritten;
        LifelongUpdate update = new LifelongUpdate(updates, dataDir, model, settings);
        PhaseClock first = new PhaseClock();
        UpdateOutcome night1 = update.run(Users.OWNER_ID, 1, first);
        first.end();

        try (Database db = Database.open(dataDir.resolve("lifelong.db"));
                ChatTokenizer tokenizer = ChatTokenizer.open(model)) {
            dayTokensWritten = chats(db, tokenizer, random, "today", dayTokens);
            facts(db);
        }
        PhaseClock clock = new PhaseClock();
        UpdateOutcome night2 = update.run(Users.OWNER_ID, 2, clock);
        clock.end();

        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bench", "nightly");
        f.put("model", label);
        f.put("history_tokens", historyTokens);
        f.put("first_night_seconds", ServingBenchmark.round(first.total()));
        f.put("first_night_verdict", night1.version() == null ? night1.summary() : night1.version().state().name().toLowerCase());
        f.put("day_tokens", dayTokensWritten);
        for (var e : clock.seconds().entrySet()) f.put("phase_" + e.getKey().replace(' ', '_'), ServingBenchmark.round(e.getValue()));
        f.put("total_seconds", ServingBenchmark.round(clock.total()));
        f.put("verdict", night2.version() == null ? night2.summary() : night2.version().state().name().toLowerCase());
        JsonNode report = night2.version() == null ? JSON.createObjectNode() : JSON.readTree(night2.version().report());
        JsonNode training = report.path("training");
        f.put("epochs", training.path("epochs").asInt());
        f.put("steps", training.path("steps").asInt());
        JsonNode process = training.path("process");
        f.put("process_load_seconds", process.path("loadSeconds").asDouble(Double.NaN));
        f.put("process_train_seconds", process.path("trainSeconds").asDouble(Double.NaN));
        f.put("process_evaluation_seconds", process.path("evaluationSeconds").asDouble(Double.NaN));
        long peak = process.path("peakResidentBytes").asLong(-1);
        f.put("process_peak_rss_mib", peak < 0 ? -1 : peak >> 20);
        f.put("replay", report.path("replay").path("count").asInt());
        f.put("self_replay", report.path("dataset").path("self_replay").asInt());
        f.put("fact_variants", report.path("dataset").path("fact_variants").asInt());
        f.put("goal", goal(label));
        f.put("threads", Runtime.getRuntime().availableProcessors());
        f.put("machine", MachineInfo.describe());
        return f;
    }

    private static final String[] WORDS = {"garden", "river", "lantern", "market", "violin", "harbor", "winter", "recipe",
        "bicycle", "library", "mountain", "coffee", "station", "pottery", "theatre", "island", "orchard", "engine",
        "compass", "festival", "kitchen", "painting", "meadow", "telescope", "notebook", "village", "bridge", "sailing",
        "chemistry", "football", "piano", "museum", "forest", "cottage", "journey", "weather", "bakery", "planet",
        "puzzle", "candle", "desert", "workshop", "concert", "balcony", "tunnel", "poetry", "history", "ocean"};

    /** Conversations of varied small talk until about {@code tokens} tokens (as the model tokenizes them). */
    static long chats(Database db, ChatTokenizer tokenizer, SplittableRandom r, String topic, int tokens) {
        long written = 0;
        int n = 0;
        while (written < tokens) {
            Conversation c = db.conversations().create(Users.OWNER_ID, topic + " " + (++n));
            for (int turn = 0; turn < 4 && written < tokens; turn++) {
                String q = "What do you think about " + w(r) + " and " + w(r) + " when the " + w(r) + " is near the "
                        + w(r) + "?";
                StringBuilder a = new StringBuilder();
                int sentences = 2 + r.nextInt(4);
                for (int s = 0; s < sentences; s++) {
                    a.append("A ").append(w(r)).append(" reminds me of a ").append(w(r)).append(" by the ").append(w(r))
                            .append(", so the ").append(w(r)).append(" matters more than the ").append(w(r)).append(". ");
                }
                db.messages().append(c.id(), Role.USER, q, MessageStatus.COMPLETE);
                db.messages().append(c.id(), Role.ASSISTANT, a.toString().strip(), MessageStatus.COMPLETE);
                written += tokenizer.promptTokens(List.of(Turn.user(q), Turn.assistant(a.toString().strip()))).length;
            }
        }
        return written;
    }

    private static String w(SplittableRandom r) {
        return WORDS[r.nextInt(WORDS.length)];
    }

    /** Facts told today and kept in memory, one of them updated, and a corrected answer. */
    static void facts(Database db) {
        Conversation c = db.conversations().create(Users.OWNER_ID, "about me");
        Message told = db.messages().append(c.id(), Role.USER, "My sister is called Lia and I live in Porto.", MessageStatus.COMPLETE);
        db.messages().append(c.id(), Role.ASSISTANT, "Noted: your sister is Lia and you live in Porto.", MessageStatus.COMPLETE);
        long sister = db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user's sister is called Lia.", told.id()).id();
        db.memories().supersede(Users.OWNER_ID, sister, MemoryKind.FACT, "The user's sister is called Lea.", told.id());
        db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user lives in Porto.", told.id());
        db.memories().add(Users.OWNER_ID, MemoryKind.FACT, "The user's cat is called Miso.", told.id());
        db.memories().add(Users.OWNER_ID, MemoryKind.PREFERENCE, "The user prefers short answers.", null);
        db.messages().append(c.id(), Role.USER, "What is the capital of Italy?", MessageStatus.COMPLETE);
        Message wrong = db.messages().append(c.id(), Role.ASSISTANT, "Milan.", MessageStatus.COMPLETE);
        new FeedbackStore(db).correct(Users.OWNER_ID, wrong.id(), "Rome.",
                "[{\"role\":\"user\",\"content\":\"What is the capital of Italy?\"},{\"role\":\"assistant\",\"content\":\"Rome.\"}]");
    }

    /** Wall time of each phase the update reports, in the order they came. */
    static final class PhaseClock implements UpdateListener {
        private final long start = System.nanoTime();
        private final Map<String, Double> seconds = new LinkedHashMap<>();
        private String phase;
        private long since = start;
        private long end;

        @Override
        public synchronized void phase(String next) {
            if (next.equals(phase)) return;
            close(System.nanoTime());
            phase = next;
        }

        private void close(long now) {
            if (phase != null) seconds.merge(phase, (now - since) / 1e9, Double::sum);
            since = now;
        }

        synchronized void end() {
            end = System.nanoTime();
            close(end);
            phase = null;
        }

        Map<String, Double> seconds() { return seconds; }

        double total() { return (end - start) / 1e9; }
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
