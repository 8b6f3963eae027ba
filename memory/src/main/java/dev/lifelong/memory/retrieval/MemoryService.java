package dev.lifelong.memory.retrieval;

import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MemoryStore;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The retrieval memory as the assistant uses it: every change goes to SQLite (text, search terms, vector) and to the
 * user's in-memory vector index together, and {@link #retrieve} fuses keyword and embedding search.
 *
 * <p>Fusion is reciprocal-rank fusion (Cormack et al. 2009): score = Σ 1 / (60 + rank) over the BM25 list and the
 * cosine list, so neither score scale has to be calibrated against the other; a small recency term (half-life 30
 * days, worth at most a fifth of a first place) breaks near-ties toward what the user said lately. Pinned memories are
 * always returned, ahead of the rest. See docs/decisions/016-retrieval-memory.md.
 */
public final class MemoryService {
    static final int RRF_K = 60;
    static final int CANDIDATES = 50;
    static final double RECENCY_WEIGHT = 0.2 / (RRF_K + 1);
    static final Duration RECENCY_HALF_LIFE = Duration.ofDays(30);

    private final MemoryStore store;
    private final List<Embedder> embedders;
    private final Clock clock;
    /** Up to this many memories a user's vector search is exact; above it, sign bits first, then exact rescoring. */
    public static final int EXACT_SCAN_LIMIT = 8_192;

    /** Per user and embedding model ("user/model"). */
    private final Map<String, VectorIndex> indexes = new ConcurrentHashMap<>();
    private final int exactScanLimit;

    public MemoryService(MemoryStore store, Embedder embedder, Clock clock) {
        this(store, List.of(embedder), clock, EXACT_SCAN_LIMIT);
    }

    /** With several embedding models, every memory is embedded by all and a question searched by the one for its script. */
    public MemoryService(MemoryStore store, List<Embedder> embedders, Clock clock) {
        this(store, embedders, clock, EXACT_SCAN_LIMIT);
    }

    /** @param exactScanLimit see {@link #EXACT_SCAN_LIMIT}; 0 always uses the sign-bit pass (for measuring its recall) */
    public MemoryService(MemoryStore store, List<Embedder> embedders, Clock clock, int exactScanLimit) {
        if (exactScanLimit < 0) throw new IllegalArgumentException("exactScanLimit must be 0 or more");
        if (embedders.isEmpty()) throw new IllegalArgumentException("at least one embedding model is needed");
        this.store = store;
        this.embedders = List.copyOf(embedders);
        this.clock = clock;
        this.exactScanLimit = exactScanLimit;
    }

    public MemoryStore store() {
        return store;
    }

    public List<Embedder> embedders() {
        return embedders;
    }

    public Memory add(long userId, MemoryKind kind, String text, Long sourceMessageId) {
        Memory m = store.add(userId, kind, text, sourceMessageId);
        embedAndIndex(m);
        return m;
    }

    public Memory supersede(long userId, long oldId, MemoryKind kind, String text, Long sourceMessageId) {
        Memory m = store.supersede(userId, oldId, kind, text, sourceMessageId);
        unindex(userId, oldId);
        embedAndIndex(m);
        return m;
    }

    public Memory update(long userId, long id, MemoryKind kind, String text) {
        Memory m = store.update(userId, id, kind, text);
        embedAndIndex(m);
        return m;
    }

    public Memory setPinned(long userId, long id, boolean pinned) {
        return store.setPinned(userId, id, pinned);
    }

    public boolean delete(long userId, long id) {
        boolean done = store.delete(userId, id);
        unindex(userId, id);
        return done;
    }

    public boolean forget(long userId, long id) {
        boolean done = store.forget(userId, id);
        unindex(userId, id);
        return done;
    }

    /**
     * The memories most relevant to the query: up to {@code k} by fused rank, plus every pinned memory (first).
     * Deleted, forgotten and superseded memories are never returned.
     */
    public List<RetrievedMemory> retrieve(long userId, String query, int k) {
        return retrieve(userId, query, k, Mode.HYBRID);
    }

    /** Which lists {@link #retrieve(long, String, int, Mode)} fuses; the single-list modes are for measurements. */
    public enum Mode { HYBRID, KEYWORD_ONLY, VECTOR_ONLY }

    public List<RetrievedMemory> retrieve(long userId, String query, int k, Mode mode) {
        if (k < 0) throw new IllegalArgumentException("k must be 0 or more");
        Map<Long, double[]> fused = new LinkedHashMap<>(); // id -> {score, keywordRank, vectorRank, cosine}
        if (k > 0 && query != null && !query.isBlank()) {
            List<MemoryStore.TextHit> text = mode == Mode.VECTOR_ONLY ? List.of() : store.searchText(userId, query, CANDIDATES);
            for (int r = 0; r < text.size(); r++) {
                double[] f = fused.computeIfAbsent(text.get(r).memoryId(), id -> new double[4]);
                f[0] += 1.0 / (RRF_K + r + 1);
                f[1] = r + 1;
            }
            String rewritten = QueryRewriter.thirdPerson(query);
            boolean chineseQuery = dev.lifelong.memory.SearchTerms.mostlyCjk(query);
            for (Embedder embedder : mode == Mode.KEYWORD_ONLY ? List.<Embedder>of() : List.of(modelFor(chineseQuery))) {
                VectorIndex.Hit[] near = index(userId, embedder).top(embedder.embed(rewritten), CANDIDATES);
                for (int r = 0; r < near.length; r++) {
                    double[] f = fused.computeIfAbsent(near[r].id(), id -> new double[4]);
                    f[0] += 1.0 / (RRF_K + r + 1);
                    f[2] = f[2] == 0 ? r + 1 : Math.min(f[2], r + 1); // best rank over the models
                    f[3] = Math.max(f[3], near[r].cosine());
                }
            }
        }
        List<Memory> pinned = store.pinned(userId);
        List<Memory> candidates = store.findLive(userId, new ArrayList<>(fused.keySet()));
        long now = clock.millis();
        List<RetrievedMemory> ranked = new ArrayList<>();
        for (Memory m : candidates) {
            if (m.pinned()) continue;
            double[] f = fused.get(m.id());
            double ageDays = Math.max(0, now - m.updatedAt().toEpochMilli()) / 86_400_000.0;
            double score = f[0] + RECENCY_WEIGHT * Math.pow(0.5, ageDays / RECENCY_HALF_LIFE.toDays());
            ranked.add(new RetrievedMemory(m, score, (int) f[1], (int) f[2], (float) f[3], false));
        }
        ranked.sort(Comparator.comparingDouble(RetrievedMemory::score).reversed()
                .thenComparing(r -> -r.memory().id()));
        List<RetrievedMemory> out = new ArrayList<>();
        for (Memory m : pinned) {
            double[] f = fused.getOrDefault(m.id(), new double[4]);
            out.add(new RetrievedMemory(m, f[0], (int) f[1], (int) f[2], (float) f[3], true));
        }
        out.addAll(ranked.subList(0, Math.min(k, ranked.size())));
        return out;
    }

    /**
     * Embeds live memories that have no vector of a current model (written before the model changed, or when the
     * process died between the row and its vector).
     *
     * @return how many vectors were written
     */
    public int embedBacklog() {
        int done = 0;
        for (Embedder embedder : embedders) {
            while (true) {
                List<Memory> batch = store.withoutVector(embedder.id(), 64);
                if (batch.isEmpty()) break;
                List<float[]> vectors = embedder.embedAll(batch.stream().map(Memory::text).toList());
                store.putVectors(batch.stream().map(Memory::id).toList(), embedder.id(), vectors);
                for (int i = 0; i < batch.size(); i++) {
                    long id = batch.get(i).id();
                    float[] v = vectors.get(i);
                    indexes.computeIfPresent(key(batch.get(i).userId(), embedder), (k, index) -> index.with(id, v));
                }
                done += batch.size();
            }
        }
        return done;
    }

    /**
     * The embedding model that searches for this question: with several, the one made for the question's script
     * (measured, decision 016: routing beat fusing the two small models, 1.00 vs 0.92 single-fact recall, at half the
     * search cost). Every memory is embedded by every model, so either can serve any question.
     */
    private Embedder modelFor(boolean chineseQuery) {
        for (Embedder e : embedders) if (e.chineseFirst() == chineseQuery) return e;
        return embedders.get(0);
    }

    private void embedAndIndex(Memory m) {
        for (Embedder embedder : embedders) {
            float[] v = embedder.embed(m.text());
            store.putVector(m.id(), embedder.id(), v);
            indexes.computeIfPresent(key(m.userId(), embedder), (k, index) -> index.with(m.id(), v));
        }
    }

    private void unindex(long userId, long id) {
        for (Embedder embedder : embedders) indexes.computeIfPresent(key(userId, embedder), (k, index) -> index.without(id));
    }

    private static String key(long userId, Embedder embedder) {
        return userId + "/" + embedder.id();
    }

    private VectorIndex index(long userId, Embedder embedder) {
        return indexes.computeIfAbsent(key(userId, embedder), k -> {
            embedBacklogOf(userId, embedder);
            return VectorIndex.of(embedder.dimension(), exactScanLimit, store.vectors(userId, embedder.id()));
        });
    }

    private void embedBacklogOf(long userId, Embedder embedder) {
        Map<Long, String> missing = new HashMap<>();
        for (Memory m : store.withoutVector(embedder.id(), Integer.MAX_VALUE)) {
            if (m.userId() == userId) missing.put(m.id(), m.text());
        }
        List<Long> ids = new ArrayList<>(missing.keySet());
        List<float[]> vectors = embedder.embedAll(ids.stream().map(missing::get).toList());
        store.putVectors(ids, embedder.id(), vectors);
    }
}
