package dev.lifelong.memory.retrieval;

import java.util.Arrays;
import java.util.Map;

/**
 * One user's memory vectors in memory. Up to {@code exactLimit} vectors every search is an exact scan. Above it, a
 * search first ranks all vectors by the Hamming distance of their sign bits (one bit per dimension: 64 bytes for a
 * 512-d vector, so a million fit in 64 MB and are scanned in milliseconds) and then rescores the closest
 * {@link #RESCORE} candidates exactly. Measured recall against the exact scan: see
 * {@code ./bench/run retrieval} and decision 016. Immutable; updates make a new index (writes are rare next to reads,
 * and readers never lock).
 */
final class VectorIndex {
    /** Candidates rescored exactly after the sign-bit pass. */
    static final int RESCORE = 2048;

    record Hit(long id, float cosine) {
    }

    private final int dimension;
    private final int words;
    private final int exactLimit;
    private final long[] ids;
    private final float[] vectors; // row-major, unit length
    private final long[] signs; // row-major, `words` longs per vector; bit d set when component d > 0

    private VectorIndex(int dimension, int exactLimit, long[] ids, float[] vectors) {
        this.dimension = dimension;
        this.words = (dimension + 63) / 64;
        this.exactLimit = exactLimit;
        this.ids = ids;
        this.vectors = vectors;
        this.signs = ids.length > exactLimit ? signsOf(vectors, ids.length) : null;
    }

    static VectorIndex of(int dimension, int exactLimit, Map<Long, float[]> byId) {
        long[] ids = new long[byId.size()];
        float[] data = new float[byId.size() * dimension];
        int i = 0;
        for (var e : byId.entrySet()) {
            if (e.getValue().length != dimension) continue; // a vector of another model's shape: re-embedded later
            ids[i] = e.getKey();
            System.arraycopy(e.getValue(), 0, data, i * dimension, dimension);
            i++;
        }
        return new VectorIndex(dimension, exactLimit, Arrays.copyOf(ids, i), Arrays.copyOf(data, i * dimension));
    }

    int size() {
        return ids.length;
    }

    VectorIndex with(long id, float[] vector) {
        VectorIndex without = without(id);
        long[] ids = Arrays.copyOf(without.ids, without.ids.length + 1);
        float[] data = Arrays.copyOf(without.vectors, ids.length * dimension);
        ids[ids.length - 1] = id;
        System.arraycopy(vector, 0, data, (ids.length - 1) * dimension, dimension);
        return new VectorIndex(dimension, exactLimit, ids, data);
    }

    VectorIndex without(long id) {
        int at = -1;
        for (int i = 0; i < ids.length; i++) if (ids[i] == id) at = i;
        if (at < 0) return this;
        long[] newIds = new long[ids.length - 1];
        float[] data = new float[newIds.length * dimension];
        System.arraycopy(ids, 0, newIds, 0, at);
        System.arraycopy(ids, at + 1, newIds, at, ids.length - at - 1);
        System.arraycopy(vectors, 0, data, 0, at * dimension);
        System.arraycopy(vectors, (at + 1) * dimension, data, at * dimension, (ids.length - at - 1) * dimension);
        return new VectorIndex(dimension, exactLimit, newIds, data);
    }

    /** The k most similar vectors, best first (ties: the newer memory, i.e. the larger id). */
    Hit[] top(float[] query, int k) {
        int n = ids.length;
        if (k <= 0 || n == 0) return new Hit[0];
        if (signs == null) return exactTop(query, k, null, n);
        int[] candidates = nearestBySigns(query, Math.max(RESCORE, 16 * k));
        return exactTop(query, k, candidates, candidates.length);
    }

    /** Exact top-k over all rows (rows == null) or over the given rows. */
    private Hit[] exactTop(float[] query, int k, int[] rows, int count) {
        int keep = Math.min(k, count);
        int[] heap = new int[keep];
        float[] heapScore = new float[keep];
        int size = 0;
        for (int j = 0; j < count; j++) {
            int i = rows == null ? j : rows[j];
            float s = dot(query, i * dimension);
            if (size < keep) {
                heap[size] = i;
                heapScore[size] = s;
                siftUp(heap, heapScore, size++);
            } else if (better(s, i, heapScore[0], heap[0])) {
                heap[0] = i;
                heapScore[0] = s;
                siftDown(heap, heapScore, size);
            }
        }
        Hit[] out = new Hit[size];
        for (int i = 0; i < size; i++) out[i] = new Hit(ids[heap[i]], heapScore[i]);
        Arrays.sort(out, (a, b) -> a.cosine() != b.cosine() ? Float.compare(b.cosine(), a.cosine()) : Long.compare(b.id(), a.id()));
        return out;
    }

    /** Rows whose sign bits differ least from the query's: at least {@code want} of them (ties at the cut included). */
    private int[] nearestBySigns(float[] query, int want) {
        long[] q = new long[words];
        for (int d = 0; d < dimension; d++) if (query[d] > 0) q[d >>> 6] |= 1L << (d & 63);
        int n = ids.length;
        short[] distance = new short[n];
        int[] histogram = new int[dimension + 1];
        for (int i = 0, o = 0; i < n; i++, o += words) {
            int dist = 0;
            for (int w = 0; w < words; w++) dist += Long.bitCount(signs[o + w] ^ q[w]);
            distance[i] = (short) dist;
            histogram[dist]++;
        }
        int cut = 0;
        for (int total = 0; cut <= dimension; cut++) {
            total += histogram[cut];
            if (total >= want) break;
        }
        int count = 0;
        for (int d = 0; d <= Math.min(cut, dimension); d++) count += histogram[d];
        int[] rows = new int[count];
        for (int i = 0, j = 0; i < n; i++) if (distance[i] <= cut) rows[j++] = i;
        return rows;
    }

    private long[] signsOf(float[] data, int n) {
        long[] out = new long[n * words];
        for (int i = 0; i < n; i++) {
            int base = i * dimension, o = i * words;
            for (int d = 0; d < dimension; d++) if (data[base + d] > 0) out[o + (d >>> 6)] |= 1L << (d & 63);
        }
        return out;
    }

    private boolean better(float s, int i, float t, int j) {
        return s > t || (s == t && ids[i] > ids[j]);
    }

    private void siftUp(int[] heap, float[] score, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(score[parent], heap[parent], score[i], heap[i])) break;
            swap(heap, score, i, parent);
            i = parent;
        }
    }

    private void siftDown(int[] heap, float[] score, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1, r = l + 1, worst = i;
            if (l < size && better(score[worst], heap[worst], score[l], heap[l])) worst = l;
            if (r < size && better(score[worst], heap[worst], score[r], heap[r])) worst = r;
            if (worst == i) return;
            swap(heap, score, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] heap, float[] score, int a, int b) {
        int h = heap[a];
        heap[a] = heap[b];
        heap[b] = h;
        float s = score[a];
        score[a] = score[b];
        score[b] = s;
    }

    private float dot(float[] q, int offset) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int d = 0;
        for (; d + 3 < dimension; d += 4) {
            s0 += q[d] * vectors[offset + d];
            s1 += q[d + 1] * vectors[offset + d + 1];
            s2 += q[d + 2] * vectors[offset + d + 2];
            s3 += q[d + 3] * vectors[offset + d + 3];
        }
        for (; d < dimension; d++) s0 += q[d] * vectors[offset + d];
        return (s0 + s1) + (s2 + s3);
    }
}
