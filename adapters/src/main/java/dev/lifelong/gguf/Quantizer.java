package dev.lifelong.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encodes float32 values as ggml blocks, so tests and benchmarks can write quantized models. The block layouts are
 * those documented in {@link Dequantizer}. Scales come from plain per-block (and per-sub-block) absmax or min/max,
 * not ggml's error-minimising search: the blocks are valid and decode within about one quantization step, but are not
 * byte-identical to what llama-quantize would write. Values that lie exactly on a block's grid (see the tests)
 * round-trip exactly.
 */
public final class Quantizer {
    private Quantizer() {}

    /** Whether {@link #quantize} can write this type. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** All of {@code values} in the encoding of {@code type}; their count must be a whole number of blocks. */
    public static byte[] quantize(GgmlType type, float[] values) {
        return quantize(type, values, 0, values.length);
    }

    /** {@code values[offset, offset + length)} in the encoding of {@code type}. */
    public static byte[] quantize(GgmlType type, float[] values, int offset, int length) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + "; supported: F32, F16, BF16, Q8_0, "
                    + "Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
        }
        java.util.Objects.checkFromIndexSize(offset, length, values.length);
        if (length % type.blockSize() != 0) {
            throw new IllegalArgumentException(type + " needs whole blocks of " + type.blockSize() + " values, got "
                    + length);
        }
        byte[] bytes = new byte[(int) type.byteSize(length)];
        ByteBuffer out = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int bpb = type.bytesPerBlock();
        for (int blk = 0, at = 0; blk < length / type.blockSize(); blk++, at += bpb) {
            int x = offset + blk * type.blockSize();
            switch (type) {
                case F32 -> out.putFloat(at, values[x]);
                case F16 -> out.putShort(at, Float.floatToFloat16(values[x]));
                case BF16 -> out.putShort(at, bf16(values[x]));
                case Q8_0 -> q8_0(values, x, out, at);
                case Q4_0 -> q4_0(values, x, out, at);
                case Q4_1 -> q4_1(values, x, out, at);
                case Q5_0 -> q5_0(values, x, out, at);
                case Q5_1 -> q5_1(values, x, out, at);
                case Q2_K -> q2K(values, x, out, at);
                case Q3_K -> q3K(values, x, out, at);
                case Q4_K -> q4K(values, x, out, at);
                case Q5_K -> q5K(values, x, out, at);
                case Q6_K -> q6K(values, x, out, at);
                default -> throw new AssertionError(type);
            }
        }
        return bytes;
    }

    /** Float32 to bfloat16, rounding to nearest even (NaN stays a quiet NaN), as ggml does. */
    static short bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7fff + ((bits >>> 16) & 1))) >>> 16);
    }

    /** The value an f16 field will hold. */
    private static float f16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /**
     * The f16 value nearest to v that is at least as large in magnitude, for scales: a rounded-down scale would
     * let the largest value of a block need a level beyond the last one (this matters for tiny blocks, whose
     * scales are f16 subnormals).
     */
    private static float f16AwayFromZero(float v) {
        short h = Float.floatToFloat16(v);
        if (Math.abs(Float.float16ToFloat(h)) < Math.abs(v)) {
            h++; // the next magnitude up, for either sign
        }
        return Float.float16ToFloat(h);
    }

    private static int clamp(long v, int lo, int hi) {
        return (int) Math.max(lo, Math.min(hi, v));
    }

    /** The value of largest magnitude in values[x, x+n), with its sign. */
    private static float signedAbsMax(float[] v, int x, int n) {
        float max = 0;
        for (int i = x; i < x + n; i++) {
            if (Math.abs(v[i]) > Math.abs(max)) max = v[i];
        }
        return max;
    }

    private static float absMax(float[] v, int x, int n) {
        return Math.abs(signedAbsMax(v, x, n));
    }

    /** Element i of a 32-block as nibble: low nibble of byte i for i < 16, else high nibble of byte i - 16. */
    private static void putNibble32(ByteBuffer out, int qs, int i, int q) {
        int at = qs + (i & 15);
        out.put(at, (byte) (out.get(at) | (i < 16 ? q : q << 4)));
    }

    /** Q8_0: d = absmax / 127. */
    private static void q8_0(float[] v, int x, ByteBuffer out, int at) {
        float d = f16AwayFromZero(absMax(v, x, 32) / 127f);
        out.putShort(at, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) out.put(at + 2 + i, (byte) (d == 0 ? 0 : clamp(Math.round(v[x + i] / d), -127, 127)));
    }

    /** Q4_0: d = (signed absmax) / -8, so the largest magnitude is exactly q = 0; q = round(x / d) + 8. */
    private static void q4_0(float[] v, int x, ByteBuffer out, int at) {
        float d = f16AwayFromZero(signedAbsMax(v, x, 32) / -8f);
        out.putShort(at, Float.floatToFloat16(d));
        for (int i = 0; i < 32; i++) putNibble32(out, at + 2, i, d == 0 ? 8 : clamp(Math.round(v[x + i] / d) + 8, 0, 15));
    }

    /** Q4_1: m = min, d = (max - min) / 15. */
    private static void q4_1(float[] v, int x, ByteBuffer out, int at) {
        float[] dm = minMaxScale(v, x, 32, 15);
        out.putShort(at, Float.floatToFloat16(dm[0]));
        out.putShort(at + 2, Float.floatToFloat16(dm[1]));
        for (int i = 0; i < 32; i++) putNibble32(out, at + 4, i, levelAboveMin(v[x + i], dm, 15));
    }

    /** Q5_0: d = (signed absmax) / -16; q = round(x / d) + 16, 5th bit in qh. */
    private static void q5_0(float[] v, int x, ByteBuffer out, int at) {
        float d = f16AwayFromZero(signedAbsMax(v, x, 32) / -16f);
        out.putShort(at, Float.floatToFloat16(d));
        int qh = 0;
        for (int i = 0; i < 32; i++) {
            int q = d == 0 ? 16 : clamp(Math.round(v[x + i] / d) + 16, 0, 31);
            putNibble32(out, at + 6, i, q & 0xF);
            qh |= (q >> 4) << i;
        }
        out.putInt(at + 2, qh);
    }

    /** Q5_1: m = min, d = (max - min) / 31, 5th bit in qh. */
    private static void q5_1(float[] v, int x, ByteBuffer out, int at) {
        float[] dm = minMaxScale(v, x, 32, 31);
        out.putShort(at, Float.floatToFloat16(dm[0]));
        out.putShort(at + 2, Float.floatToFloat16(dm[1]));
        int qh = 0;
        for (int i = 0; i < 32; i++) {
            int q = levelAboveMin(v[x + i], dm, 31);
            putNibble32(out, at + 8, i, q & 0xF);
            qh |= (q >> 4) << i;
        }
        out.putInt(at + 4, qh);
    }

    /** {d, m} (both f16-rounded) for an asymmetric block: m = min, d = (max - min) / levels. */
    private static float[] minMaxScale(float[] v, int x, int n, int levels) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = x; i < x + n; i++) {
            min = Math.min(min, v[i]);
            max = Math.max(max, v[i]);
        }
        return new float[] {f16AwayFromZero((max - min) / levels), f16(min)};
    }

    private static int levelAboveMin(float value, float[] dm, int levels) {
        return dm[0] == 0 ? 0 : clamp(Math.round((value - dm[1]) / dm[0]), 0, levels);
    }

    /**
     * Asymmetric K-quant scales: sub-block s of {@code sub} values gets scale (max - min) / levels and min -min (with
     * min clamped to at most 0, since ggml stores mins as non-negative offsets), both quantized against the
     * super-block's {@code d = max scale / scaleLevels} and {@code dmin = max min / scaleLevels}. The scale is rounded
     * up so the sub-block's range stays covered. Returns {d, dmin, sc[0], m[0], sc[1], m[1], ...}.
     */
    private static int[] kScalesMins(float[] v, int x, int sub, int levels, int scaleLevels, float[] dOut) {
        int nSub = 256 / sub;
        float[] scale = new float[nSub];
        float[] min = new float[nSub];
        float maxScale = 0;
        float maxMin = 0;
        for (int s = 0; s < nSub; s++) {
            float lo = 0;
            float hi = Float.NEGATIVE_INFINITY;
            for (int i = x + s * sub; i < x + (s + 1) * sub; i++) {
                lo = Math.min(lo, v[i]);
                hi = Math.max(hi, v[i]);
            }
            scale[s] = (hi - lo) / levels;
            min[s] = -lo;
            maxScale = Math.max(maxScale, scale[s]);
            maxMin = Math.max(maxMin, min[s]);
        }
        float d = f16AwayFromZero(maxScale / scaleLevels);
        float dmin = f16(maxMin / scaleLevels);
        int[] scm = new int[2 * nSub];
        for (int s = 0; s < nSub; s++) {
            scm[2 * s] = d == 0 ? 0 : clamp((long) Math.ceil(scale[s] / d), 0, scaleLevels);
            scm[2 * s + 1] = dmin == 0 ? 0 : clamp(Math.round(min[s] / dmin), 0, scaleLevels);
        }
        dOut[0] = d;
        dOut[1] = dmin;
        return scm;
    }

    /** q in 0..levels for value = (d * sc) * q - (dmin * m), as the decoder computes it. */
    private static int kLevel(float value, float d, int sc, float dmin, int m, int levels) {
        float ds = d * sc;
        return ds == 0 ? 0 : clamp(Math.round((value + dmin * m) / ds), 0, levels);
    }

    /** Q2_K: 16 sub-blocks of 16 with 4-bit scale and min; element e = 128n + 32j + l in bits 2j of qs[32n + l]. */
    private static void q2K(float[] v, int x, ByteBuffer out, int at) {
        float[] dd = new float[2];
        int[] scm = kScalesMins(v, x, 16, 3, 15, dd);
        for (int s = 0; s < 16; s++) out.put(at + s, (byte) (scm[2 * s] | scm[2 * s + 1] << 4));
        for (int e = 0; e < 256; e++) {
            int s = e / 16;
            int q = kLevel(v[x + e], dd[0], scm[2 * s], dd[1], scm[2 * s + 1], 3);
            int pos = at + 16 + 32 * (e / 128) + e % 32;
            out.put(pos, (byte) (out.get(pos) | q << (2 * ((e % 128) / 32))));
        }
        out.putShort(at + 80, Float.floatToFloat16(dd[0]));
        out.putShort(at + 82, Float.floatToFloat16(dd[1]));
    }

    /**
     * Q3_K: symmetric; 16 sub-blocks of 16 whose value of largest magnitude becomes q = -3 (levels -3..3 of the
     * format's -4..3, so nothing clips), hence a scale of either sign: |scale| = absmax / 3, quantized to -31..31
     * against d = max |scale| / 31 and stored offset by 32 in the packed 6-bit layout.
     */
    private static void q3K(float[] v, int x, ByteBuffer out, int at) {
        float[] scale = new float[16];
        float maxScale = 0;
        for (int s = 0; s < 16; s++) {
            scale[s] = signedAbsMax(v, x + 16 * s, 16) / -3;
            maxScale = Math.max(maxScale, Math.abs(scale[s]));
        }
        float d = f16AwayFromZero(maxScale / 31);
        for (int s = 0; s < 16; s++) {
            int sc = signedCeil(scale[s], d, 31);
            int stored = sc + 32;
            int low = at + 96 + s % 8;
            out.put(low, (byte) (out.get(low) | (s < 8 ? stored & 0xF : (stored & 0xF) << 4)));
            int high = at + 96 + 8 + s % 4;
            out.put(high, (byte) (out.get(high) | (stored >> 4) << (2 * (s / 4))));
            float ds = d * sc;
            for (int i = 0; i < 16; i++) {
                int e = 16 * s + i;
                int u = (ds == 0 ? 0 : clamp(Math.round(v[x + e] / ds), -4, 3)) + 4; // 0..7
                int n = e / 128;
                int j = (e % 128) / 32;
                int l = e % 32;
                int qs = at + 32 + 32 * n + l;
                out.put(qs, (byte) (out.get(qs) | (u & 3) << (2 * j)));
                if (u >= 4) out.put(at + l, (byte) (out.get(at + l) | 1 << (4 * n + j)));
            }
        }
        out.putShort(at + 108, Float.floatToFloat16(d));
    }

    /** scale / d rounded away from zero (so |d * result| covers |scale|), within +-limit. */
    private static int signedCeil(float scale, float d, int limit) {
        if (d == 0) return 0;
        int magnitude = clamp((long) Math.ceil(Math.abs(scale) / d), 0, limit);
        return scale < 0 ? -magnitude : magnitude;
    }

    /** The 12 packed bytes of 8 6-bit scales and mins, the inverse of {@link Dequantizer#scaleMinK4}. */
    private static void putScalesMinsK4(ByteBuffer out, int s, int[] scm) {
        for (int j = 0; j < 4; j++) {
            int sc = scm[2 * j];
            int m = scm[2 * j + 1];
            int sc4 = scm[2 * (j + 4)];
            int m4 = scm[2 * (j + 4) + 1];
            out.put(s + j, (byte) (sc | (sc4 >> 4) << 6));
            out.put(s + j + 4, (byte) (m | (m4 >> 4) << 6));
            out.put(s + j + 8, (byte) ((sc4 & 0xF) | (m4 & 0xF) << 4));
        }
    }

    /** Q4_K: 8 sub-blocks of 32, 6-bit scales and mins; element e = 64c + 32h + l is nibble h of qs[32c + l]. */
    private static void q4K(float[] v, int x, ByteBuffer out, int at) {
        float[] dd = new float[2];
        int[] scm = kScalesMins(v, x, 32, 15, 63, dd);
        out.putShort(at, Float.floatToFloat16(dd[0]));
        out.putShort(at + 2, Float.floatToFloat16(dd[1]));
        putScalesMinsK4(out, at + 4, scm);
        for (int e = 0; e < 256; e++) {
            int s = e / 32;
            int q = kLevel(v[x + e], dd[0], scm[2 * s], dd[1], scm[2 * s + 1], 15);
            int pos = at + 16 + 32 * (e / 64) + e % 32;
            out.put(pos, (byte) (out.get(pos) | (s % 2 == 0 ? q : q << 4)));
        }
    }

    /** Q5_K: as Q4_K with 32 levels; the 5th bit of element e = 64c + 32h + l is bit 2c + h of qh[l]. */
    private static void q5K(float[] v, int x, ByteBuffer out, int at) {
        float[] dd = new float[2];
        int[] scm = kScalesMins(v, x, 32, 31, 63, dd);
        out.putShort(at, Float.floatToFloat16(dd[0]));
        out.putShort(at + 2, Float.floatToFloat16(dd[1]));
        putScalesMinsK4(out, at + 4, scm);
        for (int e = 0; e < 256; e++) {
            int s = e / 32;
            int q = kLevel(v[x + e], dd[0], scm[2 * s], dd[1], scm[2 * s + 1], 31);
            int pos = at + 48 + 32 * (e / 64) + e % 32;
            out.put(pos, (byte) (out.get(pos) | (s % 2 == 0 ? q & 0xF : (q & 0xF) << 4)));
            int qh = at + 16 + e % 32;
            out.put(qh, (byte) (out.get(qh) | (q >> 4) << s));
        }
    }

    /**
     * Q6_K: symmetric; 16 sub-blocks of 16 whose value of largest magnitude becomes q = -31 (levels -31..31 of the
     * format's -32..31, so nothing clips), hence an int8 scale of either sign: |scale| = absmax / 31, quantized to
     * -127..127 against d = max |scale| / 127.
     */
    private static void q6K(float[] v, int x, ByteBuffer out, int at) {
        float[] scale = new float[16];
        float maxScale = 0;
        for (int s = 0; s < 16; s++) {
            scale[s] = signedAbsMax(v, x + 16 * s, 16) / -31;
            maxScale = Math.max(maxScale, Math.abs(scale[s]));
        }
        float d = f16AwayFromZero(maxScale / 127);
        for (int s = 0; s < 16; s++) {
            int sc = signedCeil(scale[s], d, 127);
            out.put(at + 192 + s, (byte) sc);
            float ds = d * sc;
            for (int i = 0; i < 16; i++) {
                int e = 16 * s + i;
                int u = (ds == 0 ? 0 : clamp(Math.round(v[x + e] / ds), -32, 31)) + 32; // 0..63
                int n = e / 128;
                int k = (e % 128) / 32;
                int l = e % 32;
                int ql = at + 64 * n + 32 * (k % 2) + l;
                out.put(ql, (byte) (out.get(ql) | (k < 2 ? u & 0xF : (u & 0xF) << 4)));
                int qh = at + 128 + 32 * n + l;
                out.put(qh, (byte) (out.get(qh) | (u >> 4) << (2 * k)));
            }
        }
        out.putShort(at + 208, Float.floatToFloat16(d));
    }
}
