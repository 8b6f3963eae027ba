package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The twins have the real files' shapes: their tensor data fills the real file's size but for a remainder the size of
 * a vocabulary's metadata, and the two Qwen twins — one vocabulary, different shapes and type mixes — leave the same
 * remainder, which a wrong type on any group of tensors would break by megabytes.
 */
class ModelTwinsTest {
    /** Building a writer encodes a 150k-token vocabulary: once per twin. */
    private static final Map<ModelTwins.Twin, GgufWriter> WRITERS = new java.util.concurrent.ConcurrentHashMap<>();

    private static GgufWriter writer(ModelTwins.Twin twin) {
        return WRITERS.computeIfAbsent(twin, t -> ModelTwins.writer(t));
    }

    @Test
    void tensorDataFillsTheRealFileButForTheVocabulary() {
        for (ModelTwins.Twin twin : ModelTwins.ALL) {
            long data = writer(twin).tensorDataBytes();
            long remainder = twin.realFileBytes() - data;
            assertThat(remainder).as("%s: real %d bytes, twin tensor data %d", twin.catalogId(), twin.realFileBytes(), data)
                    .isBetween(1_000_000L, 9_000_000L);
        }
    }

    @Test
    void bothQwenTwinsLeaveTheSameRemainder() {
        long small = ModelTwins.QWEN25_05B.realFileBytes() - writer(ModelTwins.QWEN25_05B).tensorDataBytes();
        long large = ModelTwins.QWEN25_15B.realFileBytes() - writer(ModelTwins.QWEN25_15B).tensorDataBytes();
        // measured 5,947,744 and 5,950,496 bytes: the model names and alignment padding differ
        assertThat(Math.abs(small - large)).isLessThan(64 * 1024);
    }

    @Test
    void q4KmMixFollowsLlamaCppsRules() {
        Map<GgmlType, Integer> qwenSmall = types(ModelTwins.QWEN25_05B);
        // 896-wide rows are not whole 256-element super-blocks: Q4_K falls back to Q5_0, Q6_K to Q8_0
        assertThat(qwenSmall).containsEntry(GgmlType.Q5_0, 24 * 5 + 12 + 1).containsEntry(GgmlType.Q8_0, 12 + 1)
                .containsEntry(GgmlType.Q4_K, 12).containsEntry(GgmlType.Q6_K, 12);
        Map<GgmlType, Integer> llama = types(ModelTwins.LLAMA32_1B);
        // 16 layers: attn_v and ffn_down get 6 bits in layers 0, 1, 4, 7, 10, 13, 14, 15; the tied embedding too
        assertThat(llama).containsEntry(GgmlType.Q6_K, 8 + 8 + 1).containsEntry(GgmlType.Q4_K, 16 * 7 - 16);
        assertThat(types(ModelTwins.SMOLLM2_360M)).containsOnlyKeys(GgmlType.Q8_0, GgmlType.F32);
        for (int i : new int[] {0, 1, 4, 7, 10, 13, 14, 15}) assertThat(ModelTwins.useMoreBits(i, 16)).isTrue();
        for (int i : new int[] {2, 3, 5, 6, 8, 9, 11, 12}) assertThat(ModelTwins.useMoreBits(i, 16)).isFalse();
    }

    @Test
    void llama3RopeFactorsAreTheConvertersValues() {
        float[] f = ModelTwins.llama3RopeFactors(64, 500_000f);
        assertThat(f).hasSize(32);
        assertThat(f[0]).isEqualTo(1f); // high frequencies are kept
        assertThat(f[31]).isEqualTo(32f); // low frequencies are divided by the factor
        int smooth = 0;
        for (float x : f) if (x > 1f && x < 32f) smooth++;
        assertThat(smooth).isBetween(1, 6); // a few pairs in between are interpolated
    }

    @Test
    void vocabularyHasTheRealSpecialTokensAtTheirIds() {
        SyntheticBpeVocabulary qwen = ModelTwins.vocabulary(ModelTwins.QWEN25_05B);
        assertThat(qwen.tokens()).hasSize(151936);
        assertThat(qwen.tokens().get(151644)).isEqualTo("<|im_start|>");
        assertThat(qwen.tokens().get(151645)).isEqualTo("<|im_end|>");
        assertThat(qwen.merges()).hasSize(151643 - 256);
        SyntheticBpeVocabulary llama = ModelTwins.vocabulary(ModelTwins.LLAMA32_1B);
        assertThat(llama.tokens().get(128000)).isEqualTo("<|begin_of_text|>");
        assertThat(llama.tokens().get(128009)).isEqualTo("<|eot_id|>");
        assertThat(llama.types()[128009]).isEqualTo(SyntheticBpeVocabulary.CONTROL);
        SyntheticBpeVocabulary smol = ModelTwins.vocabulary(ModelTwins.SMOLLM2_360M);
        assertThat(smol.tokens()).hasSize(49152);
        assertThat(smol.tokens().get(2)).isEqualTo("<|im_end|>");
        // every merge joins two existing tokens into the next one
        java.util.Set<String> known = new java.util.HashSet<>(smol.tokens());
        // (checked with the set's own lookup: AssertJ's contains on an iterable is a linear scan, 49k × 49k)
        java.util.List<String> broken = new java.util.ArrayList<>();
        for (String merge : smol.merges()) {
            String[] parts = merge.split(" ", 2);
            if (!known.contains(parts[0]) || !known.contains(parts[1]) || !known.contains(parts[0] + parts[1])) {
                broken.add(merge);
            }
        }
        assertThat(broken).isEmpty();
    }

    private static Map<GgmlType, Integer> types(ModelTwins.Twin twin) {
        Map<GgmlType, Integer> counts = new TreeMap<>();
        for (var e : writer(twin).tensorTypes().entrySet()) {
            if (e.getValue() != GgmlType.F32) counts.merge(e.getValue(), 1, Integer::sum);
            else counts.merge(GgmlType.F32, 1, Integer::sum);
        }
        return counts;
    }
}
