package dev.lifelong.memory.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorIndexTest {
    private static float[] random(Random rng, int dim) {
        float[] v = new float[dim];
        for (int i = 0; i < dim; i++) v[i] = (float) rng.nextGaussian();
        return Embedder.normalize(v);
    }

    private static float[] near(Random rng, float[] v, double noise) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) out[i] += (float) (noise * rng.nextGaussian() / Math.sqrt(out.length));
        return Embedder.normalize(out);
    }

    @Test
    void signBitPassFindsTheSameNeighboursAsTheExactScan() {
        Random rng = new Random(3);
        int dim = 512, n = 30_000;
        Map<Long, float[]> byId = new LinkedHashMap<>();
        for (long id = 1; id <= n; id++) byId.put(id, random(rng, dim));
        VectorIndex exact = VectorIndex.of(dim, Integer.MAX_VALUE, byId);
        VectorIndex quantized = VectorIndex.of(dim, 0, byId);
        int sameTop1 = 0, overlap = 0;
        for (int q = 0; q < 100; q++) {
            long source = 1 + rng.nextInt(n);
            float[] query = near(rng, byId.get(source), 0.8);
            VectorIndex.Hit[] a = exact.top(query, 5);
            VectorIndex.Hit[] b = quantized.top(query, 5);
            assertThat(a[0].id()).isEqualTo(source);
            if (b[0].id() == a[0].id()) sameTop1++;
            for (VectorIndex.Hit h : b) if (Arrays.stream(a).anyMatch(x -> x.id() == h.id())) overlap++;
            assertThat(b[0].cosine()).as("rescored exactly").isEqualTo(a[0].cosine());
        }
        assertThat(sameTop1).isEqualTo(100);
        assertThat(overlap / 500.0).as("top-5 overlap with the exact scan").isGreaterThan(0.5);
    }

    @Test
    void removingAndAddingKeepsIdsAndVectorsTogether() {
        Random rng = new Random(4);
        Map<Long, float[]> byId = new LinkedHashMap<>();
        for (long id = 1; id <= 50; id++) byId.put(id, random(rng, 16));
        VectorIndex index = VectorIndex.of(16, 10, byId);
        float[] extra = random(rng, 16);
        VectorIndex changed = index.without(7).without(8).with(99, extra).with(3, byId.get(3L));
        assertThat(changed.size()).isEqualTo(49);
        assertThat(changed.top(byId.get(7L), 1)[0].id()).isNotEqualTo(7);
        assertThat(changed.top(extra, 1)[0].id()).isEqualTo(99);
        assertThat(changed.top(byId.get(20L), 1)[0].id()).isEqualTo(20);
        assertThat(changed.top(byId.get(3L), 1)[0].cosine()).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
    }
}
