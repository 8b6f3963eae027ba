package dev.lifelong.assistant.bench;

import dev.lifelong.memory.Database;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MemoryStore;
import dev.lifelong.memory.Users;
import dev.lifelong.memory.retrieval.Embedder;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.OnnxEmbedder;
import dev.lifelong.memory.retrieval.RetrievedMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * {@code ./bench/run retrieval}: recall@5 of the right memory on synthetic users (per question kind, per embedding
 * model, hybrid vs keyword-only vs vector-only), then search latency (p50/p95) and ingestion rate at 10k, 100k and
 * 1M memories of one user. At scale the distractor memories get random unit vectors instead of real embeddings
 * (embedding a million texts would take over an hour and the search cost does not depend on the values); the
 * queries are real.
 */
public final class RetrievalBenchmark {
    private RetrievalBenchmark() {
    }

    public static List<Map<String, Object>> run(Path out, boolean quick) throws IOException {
        Files.createDirectories(out);
        List<Map<String, Object>> figures = new ArrayList<>();
        Map<String, Object> machine = MachineInfo.describe();
        // --quick checks that every step still runs (CI runs it): few users with few distractors (each memory is
        // embedded, ~7 ms per model on an idle 2-core machine, far more under load), and 10k memories for the latency
        // step because the sign-bit pass starts above 8,192
        int users = quick ? 2 : 40;
        int distractors = quick ? 30 : 150;
        Embedder bge = new OnnxEmbedder(OnnxEmbedder.Model.BGE_SMALL_ZH_V15_Q);
        Embedder minilm = new OnnxEmbedder(OnnxEmbedder.Model.ALL_MINILM_L6_V2_Q);
        for (List<Embedder> models : List.of(List.of(bge), List.of(minilm), List.of(bge, minilm))) {
            figures.addAll(recall(out, models, users, distractors, machine));
        }
        figures.add(signBitAgreement(out, bge, quick ? 1_000 : 30_000, machine));
        // what the assistant runs: both models, a question searched by the one for its script (OnnxEmbedder.defaults())
        List<Embedder> both = List.of(bge, minilm);
        figures.add(ingestion(out, both, quick ? 20 : 200, machine));
        for (int size : quick ? new int[] {10_000} : new int[] {10_000, 100_000, 1_000_000}) {
            figures.add(latency(out, both, size, quick ? 20 : 200, machine));
        }
        return figures;
    }

    private static final class SteppingClock extends Clock {
        Instant now = Instant.parse("2026-01-01T09:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static List<Map<String, Object>> recall(Path out, List<Embedder> embedders, int users, int distractors,
            Map<String, Object> machine) throws IOException {
        String modelNames = String.join("+", embedders.stream().map(Embedder::id).toList());
        Path file = out.resolve("retrieval-recall.db");
        deleteDatabase(file);
        SteppingClock clock = new SteppingClock();
        Map<MemoryService.Mode, Map<SyntheticUsers.QuestionKind, int[]>> hits = new EnumMap<>(MemoryService.Mode.class);
        int[] updatedOrder = new int[2]; // {new ranked above stale, both retrieved}
        int[] singleByLanguage = new int[4]; // hybrid single-fact {en hits, en total, zh hits, zh total}
        double[] topCosine = new double[4]; // {answerable sum, count, absent sum, count}
        Random rng = new Random(42);
        try (Database db = Database.open(file, clock)) {
            MemoryService memory = new MemoryService(db.memories(), embedders, clock);
            for (int u = 0; u < users; u++) {
                long user = Users.create(db, "user" + u);
                SyntheticUsers.User generated = SyntheticUsers.generate(rng, 8, 3, distractors);
                // store in session order, a day per session, so updates are newer than what they update
                Integer[] order = new Integer[generated.facts().size()];
                for (int i = 0; i < order.length; i++) order[i] = i;
                Arrays.sort(order, (a, b) -> Integer.compare(generated.facts().get(a).session(), generated.facts().get(b).session()));
                long[] ids = new long[order.length];
                Instant start = clock.now;
                for (int i : order) {
                    clock.now = start.plus(Duration.ofDays(generated.facts().get(i).session()));
                    ids[i] = memory.add(user, MemoryKind.FACT, generated.facts().get(i).text(), null).id();
                }
                clock.now = start.plus(Duration.ofDays(12));
                for (SyntheticUsers.Question q : generated.questions()) {
                    for (MemoryService.Mode mode : MemoryService.Mode.values()) {
                        List<RetrievedMemory> got = memory.retrieve(user, q.text(), 5, mode);
                        List<Long> gotIds = got.stream().map(r -> r.memory().id()).toList();
                        int[] h = hits.computeIfAbsent(mode, m -> new EnumMap<>(SyntheticUsers.QuestionKind.class))
                                .computeIfAbsent(q.kind(), k -> new int[2]);
                        h[1]++;
                        if (q.kind() == SyntheticUsers.QuestionKind.ABSTENTION) {
                            if (mode == MemoryService.Mode.VECTOR_ONLY && !got.isEmpty()) {
                                topCosine[2] += got.get(0).cosine();
                                topCosine[3]++;
                            }
                            continue;
                        }
                        boolean all = q.answers().stream().allMatch(a -> gotIds.contains(ids[a]));
                        if (all) h[0]++;
                        if (mode == MemoryService.Mode.HYBRID && q.kind() == SyntheticUsers.QuestionKind.SINGLE) {
                            int at = q.chinese() ? 2 : 0;
                            if (all) singleByLanguage[at]++;
                            singleByLanguage[at + 1]++;
                        }
                        if (mode == MemoryService.Mode.VECTOR_ONLY && !got.isEmpty()) {
                            topCosine[0] += got.get(0).cosine();
                            topCosine[1]++;
                        }
                        if (mode == MemoryService.Mode.HYBRID && q.kind() == SyntheticUsers.QuestionKind.UPDATED) {
                            int newAt = gotIds.indexOf(ids[q.answers().get(0)]);
                            int staleAt = gotIds.indexOf(ids[q.stale().get(0)]);
                            if (newAt >= 0 && (staleAt < 0 || newAt < staleAt)) updatedOrder[0]++;
                            updatedOrder[1]++;
                        }
                    }
                }
                clock.now = start.plus(Duration.ofDays(30));
            }
        }
        deleteDatabase(file);
        List<Map<String, Object>> figures = new ArrayList<>();
        for (var byMode : hits.entrySet()) {
            Map<String, Object> f = figure("retrieval_recall_at_5", machine);
            f.put("embedding_model", modelNames);
            f.put("mode", byMode.getKey().name().toLowerCase(Locale.ROOT));
            f.put("users", users);
            f.put("memories_per_user", "8 facts (some told twice) + 3 events + " + distractors + " distractors");
            for (var e : byMode.getValue().entrySet()) {
                if (e.getKey() == SyntheticUsers.QuestionKind.ABSTENTION) continue;
                f.put(e.getKey().name().toLowerCase(Locale.ROOT), round(e.getValue()[0] / (double) e.getValue()[1]));
                f.put(e.getKey().name().toLowerCase(Locale.ROOT) + "_questions", e.getValue()[1]);
            }
            // the goal applies to what the assistant runs: hybrid search, both models routed by the question's script
            f.put("goal", byMode.getKey() == MemoryService.Mode.HYBRID && embedders.size() > 1 ? "single and updated >= 0.9" : "—");
            if (byMode.getKey() == MemoryService.Mode.HYBRID) {
                f.put("updated_newer_ranked_first", round(updatedOrder[0] / (double) Math.max(1, updatedOrder[1])));
                f.put("single_english", round(singleByLanguage[0] / (double) Math.max(1, singleByLanguage[1])));
                f.put("single_chinese", round(singleByLanguage[2] / (double) Math.max(1, singleByLanguage[3])));
            }
            if (byMode.getKey() == MemoryService.Mode.VECTOR_ONLY) {
                f.put("top1_cosine_answerable", round(topCosine[0] / Math.max(1, topCosine[1])));
                f.put("top1_cosine_abstention", round(topCosine[2] / Math.max(1, topCosine[3])));
            }
            figures.add(f);
        }
        return figures;
    }

    /**
     * How often the sign-bit pass (used above 8,192 memories) returns the exact scan's top 5, on real embeddings of
     * {@code size} distractor memories and the synthetic questions.
     */
    private static Map<String, Object> signBitAgreement(Path out, Embedder embedder, int size, Map<String, Object> machine)
            throws IOException {
        Path file = out.resolve("retrieval-agreement.db");
        deleteDatabase(file);
        Random rng = new Random(11);
        int same = 0, overlap = 0, queries = 0;
        try (Database db = Database.open(file)) {
            SyntheticUsers.User user = SyntheticUsers.generate(rng, 8, 3, 0);
            List<MemoryStore.NewMemory> memories = new ArrayList<>();
            for (SyntheticUsers.Fact fact : user.facts()) memories.add(new MemoryStore.NewMemory(MemoryKind.FACT, fact.text(), null));
            while (memories.size() < size) memories.add(new MemoryStore.NewMemory(MemoryKind.FACT, SyntheticUsers.filler(rng), null));
            List<Long> ids = db.memories().addAll(Users.OWNER_ID, memories);
            for (int at = 0; at < ids.size(); at += 256) {
                List<MemoryStore.NewMemory> chunk = memories.subList(at, Math.min(ids.size(), at + 256));
                db.memories().putVectors(ids.subList(at, at + chunk.size()), embedder.id(),
                        embedder.embedAll(chunk.stream().map(MemoryStore.NewMemory::text).toList()));
            }
            MemoryService exact = new MemoryService(db.memories(), List.of(embedder), Clock.systemUTC(), Integer.MAX_VALUE);
            MemoryService signs = new MemoryService(db.memories(), List.of(embedder), Clock.systemUTC(), 0);
            for (int round = 0; round < 4; round++) {
                for (SyntheticUsers.Question q : SyntheticUsers.generate(new Random(round), 8, 3, 0).questions()) {
                    List<Long> a = exact.retrieve(Users.OWNER_ID, q.text(), 5, MemoryService.Mode.VECTOR_ONLY).stream().map(r -> r.memory().id()).toList();
                    List<Long> b = signs.retrieve(Users.OWNER_ID, q.text(), 5, MemoryService.Mode.VECTOR_ONLY).stream().map(r -> r.memory().id()).toList();
                    if (a.equals(b)) same++;
                    for (long id : b) if (a.contains(id)) overlap++;
                    queries++;
                }
            }
        }
        deleteDatabase(file);
        Map<String, Object> f = figure("retrieval_sign_bit_agreement", machine);
        f.put("embedding_model", embedder.id());
        f.put("memories", size);
        f.put("queries", queries);
        f.put("same_top5", round(same / (double) queries));
        f.put("top5_overlap", round(overlap / (5.0 * queries)));
        return f;
    }

    private static Map<String, Object> ingestion(Path out, List<Embedder> embedders, int count, Map<String, Object> machine)
            throws IOException {
        Path file = out.resolve("retrieval-ingest.db");
        deleteDatabase(file);
        Random rng = new Random(7);
        long t0, t1;
        try (Database db = Database.open(file)) {
            MemoryService memory = new MemoryService(db.memories(), embedders, Clock.systemUTC());
            memory.add(Users.OWNER_ID, MemoryKind.FACT, "warm-up", null);
            t0 = System.nanoTime();
            for (int i = 0; i < count; i++) memory.add(Users.OWNER_ID, MemoryKind.FACT, SyntheticUsers.filler(rng), null);
            t1 = System.nanoTime();
        }
        deleteDatabase(file);
        Map<String, Object> f = figure("retrieval_ingestion", machine);
        f.put("embedding_model", String.join("+", embedders.stream().map(Embedder::id).toList()));
        f.put("memories", count);
        f.put("memories_per_second", round(count / ((t1 - t0) / 1e9)));
        f.put("note", "one memory per call: embed + one fsynced SQLite transaction (synchronous=FULL)");
        return f;
    }

    private static Map<String, Object> latency(Path out, List<Embedder> embedders, int size, int queries, Map<String, Object> machine)
            throws IOException {
        Path file = out.resolve("retrieval-latency.db");
        deleteDatabase(file);
        Random rng = new Random(size);
        Map<String, Object> f = figure("retrieval_latency", machine);
        f.put("embedding_model", String.join("+", embedders.stream().map(Embedder::id).toList()));
        f.put("memories", size);
        try (Database db = Database.open(file)) {
            MemoryStore store = db.memories();
            SyntheticUsers.User user = SyntheticUsers.generate(rng, 8, 3, 0);
            long bulkStart = System.nanoTime();
            int batch = 10_000;
            for (int done = 0; done < size; done += batch) {
                List<MemoryStore.NewMemory> memories = new ArrayList<>();
                int n = Math.min(batch, size - done);
                if (done == 0) {
                    for (SyntheticUsers.Fact fact : user.facts()) memories.add(new MemoryStore.NewMemory(MemoryKind.FACT, fact.text(), null));
                }
                while (memories.size() < n) memories.add(new MemoryStore.NewMemory(MemoryKind.FACT, SyntheticUsers.filler(rng), null));
                List<Long> ids = store.addAll(Users.OWNER_ID, memories);
                for (Embedder embedder : embedders) {
                    List<float[]> vectors = new ArrayList<>(ids.size());
                    for (int i = 0; i < ids.size(); i++) {
                        vectors.add(done == 0 && i < user.facts().size() ? embedder.embed(memories.get(i).text())
                                : randomUnit(rng, embedder.dimension()));
                    }
                    store.putVectors(ids, embedder.id(), vectors);
                }
            }
            double bulkSeconds = (System.nanoTime() - bulkStart) / 1e9;
            f.put("bulk_insert_memories_per_second", round(size / bulkSeconds));
            MemoryService memory = new MemoryService(store, embedders, Clock.systemUTC());
            long loadStart = System.nanoTime();
            memory.retrieve(Users.OWNER_ID, "warm up", 5);
            f.put("index_load_seconds", round((System.nanoTime() - loadStart) / 1e9));
            List<String> texts = user.questions().stream().map(SyntheticUsers.Question::text).toList();
            for (int i = 0; i < 20; i++) memory.retrieve(Users.OWNER_ID, texts.get(i % texts.size()), 5);
            double[] search = new double[queries];
            double[] keyword = new double[queries];
            double[] vector = new double[queries];
            double[] embed = new double[queries];
            for (int i = 0; i < queries; i++) {
                String q = texts.get(i % texts.size());
                long a = System.nanoTime();
                for (Embedder embedder : embedders) embedder.embed(q);
                long b = System.nanoTime();
                memory.retrieve(Users.OWNER_ID, q, 5);
                long c = System.nanoTime();
                memory.retrieve(Users.OWNER_ID, q, 5, MemoryService.Mode.KEYWORD_ONLY);
                long d = System.nanoTime();
                memory.retrieve(Users.OWNER_ID, q, 5, MemoryService.Mode.VECTOR_ONLY);
                long e = System.nanoTime();
                embed[i] = (b - a) / 1e6;
                search[i] = (c - b) / 1e6;
                keyword[i] = (d - c) / 1e6;
                vector[i] = (e - d) / 1e6;
            }
            f.put("vector_search", size > MemoryService.EXACT_SCAN_LIMIT ? "sign bits + exact rescoring" : "exact");
            f.put("search_ms_p50", round(percentile(search, 50)));
            f.put("search_ms_p95", round(percentile(search, 95)));
            f.put("keyword_only_ms_p50", round(percentile(keyword, 50)));
            f.put("vector_only_ms_p50", round(percentile(vector, 50)));
            f.put("query_embedding_ms_p50", round(percentile(embed, 50)));
            f.put("note", "search_ms = MemoryService.retrieve(k=5): query embedding + BM25 + vector scan + fusion + rows");
            f.put("goal", size == 100_000 ? "p95 <= 10 ms" : size == 1_000_000 ? "p95 <= 50 ms" : "—");
        }
        deleteDatabase(file);
        return f;
    }

    private static float[] randomUnit(Random rng, int dimension) {
        float[] v = new float[dimension];
        for (int i = 0; i < dimension; i++) v[i] = (float) rng.nextGaussian();
        return Embedder.normalize(v);
    }

    private static double percentile(double[] xs, int p) {
        double[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static Map<String, Object> figure(String name, Map<String, Object> machine) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("benchmark", name);
        f.put("machine", machine);
        return f;
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    private static void deleteDatabase(Path file) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm")) Files.deleteIfExists(Path.of(file + suffix));
    }
}
