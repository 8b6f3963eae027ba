package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuantizerTest {
    private static float[] roundTrip(GgmlType type, float[] values) {
        byte[] bytes = Quantizer.quantize(type, values);
        assertThat(bytes).hasSize((int) type.byteSize(values.length));
        float[] out = new float[values.length];
        Dequantizer.dequantize(type, ByteBuffer.wrap(bytes), out, "round trip");
        return out;
    }

    /**
     * Random blocks of varied scale and offset come back within {@code bound} times the largest magnitude of their
     * (super-)block: half a quantization step, plus, where it applies, clipping of the side absmax scaling does not
     * cover (Q4_0, Q5_0: one step) and the rounding of 6-bit mins (K-quants).
     */
    @ParameterizedTest
    @CsvSource({"BF16, 0.004", "F16, 0.0005", "Q8_0, 0.0045", "Q4_0, 0.126", "Q4_1, 0.07", "Q5_0, 0.063",
            "Q5_1, 0.035", "Q2_K, 0.42", "Q3_K, 0.18", "Q4_K, 0.08", "Q5_K, 0.045", "Q6_K, 0.017"})
    void randomValuesComeBackWithinTheTypesError(GgmlType type, double bound) {
        SplittableRandom r = new SplittableRandom(11);
        int n = 256 * 64;
        float[] values = new float[n];
        for (int blk = 0; blk < n; blk += 256) {
            double scale = Math.pow(10, r.nextDouble(-4, 2));
            double offset = r.nextBoolean() ? 0 : r.nextDouble(-1, 1) * scale;
            for (int i = blk; i < blk + 256; i++) values[i] = (float) (r.nextGaussian() * scale + offset);
        }
        float[] out = roundTrip(type, values);
        int group = Math.max(type.blockSize(), 32); // float types: judge each value against its 32 neighbours
        double worst = 0;
        for (int blk = 0; blk < n; blk += group) {
            double amax = 0;
            for (int i = blk; i < blk + group; i++) amax = Math.max(amax, Math.abs(values[i]));
            for (int i = blk; i < blk + group; i++) {
                double err = Math.abs(out[i] - values[i]);
                // plus half the step of f16 subnormals, which tiny values and scales fall into
                double allowed = (type.blockSize() == 1 ? bound * Math.abs(values[i]) : bound * amax) + 3e-8;
                assertThat(err).as("%s element %d: %s came back as %s", type, i, values[i], out[i])
                        .isLessThanOrEqualTo(allowed);
                worst = Math.max(worst, err / (type.blockSize() == 1 ? Math.abs(values[i]) : amax));
            }
        }
        System.out.printf("%s: worst error %.4f of the block's absmax (bound %s)%n", type, worst, bound);
    }

    /** Equal as numbers (-0 == 0: a negative scale times level 0 decodes to -0). */
    private static void assertExact(float[] actual, float[] expected) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i] == expected[i]).as("element %d: %s came back as %s", i, expected[i], actual[i])
                    .isTrue();
        }
    }

    @Test
    void q8_0GridIsExact() {
        SplittableRandom r = new SplittableRandom(1);
        float[] v = new float[64];
        float d = 1f / 64;
        for (int i = 0; i < v.length; i++) v[i] = d * r.nextInt(-127, 128);
        v[5] = 127 * d;
        v[40] = -127 * d;
        assertExact(roundTrip(GgmlType.Q8_0, v), v);
    }

    @Test
    void q4_0GridIsExact() {
        SplittableRandom r = new SplittableRandom(2);
        float[] v = new float[64];
        float d = 1f / 16;
        for (int i = 0; i < v.length; i++) v[i] = d * (r.nextInt(0, 16) - 8);
        v[3] = -8 * d; // the largest magnitude sits at q = 0, as ggml's scale choice puts it
        v[33] = 8 * d * -1;
        assertExact(roundTrip(GgmlType.Q4_0, v), v);
    }

    /** Values (d * sc) * q - (dmin * m) with every sub-block reaching q = 0 and q = max, and some sc, m = 63. */
    private static float[] kGrid(int levels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float d = 1f / 256;
        float dmin = 1f / 128;
        float[] v = new float[512];
        for (int s = 0; s < v.length / 32; s++) {
            int sc = s % 8 == 3 ? 63 : r.nextInt(1, 64);
            int m = s % 8 == 5 ? 63 : r.nextInt(0, 64);
            for (int i = 0; i < 32; i++) {
                int q = i == 0 ? 0 : i == 1 ? levels : r.nextInt(0, levels + 1);
                v[32 * s + i] = (d * sc) * q - (dmin * m);
            }
        }
        return v;
    }

    @Test
    void q4KGridIsExact() {
        float[] v = kGrid(15, 3);
        assertExact(roundTrip(GgmlType.Q4_K, v), v);
    }

    @Test
    void q5KGridIsExact() {
        float[] v = kGrid(31, 4);
        assertExact(roundTrip(GgmlType.Q5_K, v), v);
    }

    @Test
    void q6KGridIsExact() {
        SplittableRandom r = new SplittableRandom(5);
        float d = 1f / 256;
        float[] v = new float[512];
        for (int s = 0; s < v.length / 16; s++) {
            int sc = s % 16 == 7 ? 127 : r.nextInt(1, 128);
            for (int i = 0; i < 16; i++) {
                int q = i == 0 ? 31 : i == 1 ? -31 : r.nextInt(-31, 32);
                v[16 * s + i] = d * sc * q;
            }
        }
        assertExact(roundTrip(GgmlType.Q6_K, v), v);
    }

    /** So that the llama.cpp cross-check also covers the sign of Q6_K's int8 scales and Q3_K's offset scales. */
    @Test
    void q6KAndQ3KWriteScalesOfBothSigns() {
        SplittableRandom r = new SplittableRandom(8);
        float[] v = new float[256];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        byte[] q6 = Quantizer.quantize(GgmlType.Q6_K, v);
        java.util.Set<Integer> signs = new java.util.HashSet<>();
        for (int s = 0; s < 16; s++) signs.add(Integer.signum(q6[192 + s]));
        assertThat(signs).contains(-1, 1);
        byte[] q3 = Quantizer.quantize(GgmlType.Q3_K, v);
        int below = 0;
        for (int s = 0; s < 16; s++) {
            int low = s < 8 ? q3[96 + s] & 0xF : (q3[96 + s - 8] & 0xFF) >> 4;
            int stored = low | ((q3[96 + 8 + s % 4] & 0xFF) >> (2 * (s / 4)) & 3) << 4;
            if (stored < 32) below++;
        }
        assertThat(below).isBetween(1, 15);
    }

    @Test
    void zerosStayZeros() {
        for (GgmlType type : GgmlType.values()) {
            if (Quantizer.supports(type)) {
                for (float x : roundTrip(type, new float[256])) assertThat(x == 0).as(type.name()).isTrue();
            }
        }
    }

    @Test
    void quantizesARange() {
        float[] v = new float[96];
        for (int i = 0; i < v.length; i++) v[i] = i;
        assertThat(Quantizer.quantize(GgmlType.Q8_0, v, 32, 32))
                .isEqualTo(Quantizer.quantize(GgmlType.Q8_0, java.util.Arrays.copyOfRange(v, 32, 64)));
    }

    @Test
    void refusesPartialBlocksAndUnsupportedTypes() {
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.Q4_K, new float[255]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks of 256");
        assertThatThrownBy(() -> Quantizer.quantize(GgmlType.IQ2_XXS, new float[256]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IQ2_XXS");
    }

    @Test
    void randomModelRefusesWidthsThatAreNotWholeBlocks() {
        assertThatThrownBy(() -> RandomLlamaModel.Spec.tiny().withWeightType(GgmlType.Q4_K))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Q4_K stores rows in blocks of 256").hasMessageContaining("nEmbd (64)");
        assertThatThrownBy(() -> RandomLlamaModel.Spec.tiny().withWeightType(GgmlType.IQ4_NL))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not IQ4_NL");
    }
}
