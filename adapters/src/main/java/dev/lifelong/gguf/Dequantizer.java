package dev.lifelong.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.IntStream;

/**
 * Turns a tensor's stored bytes into float32 values, in ggml element order (row-major over ne0 fastest).
 * One method per ggml type, readable next to ggml-common.h's block structs and ggml-quants.c's
 * {@code dequantize_row_*}; each method decodes {@code blocks} consecutive blocks. All multi-byte fields are little
 * endian; "f16" is an IEEE half.
 *
 * <p>The trainer must see the weights llama.cpp serves, so every formula keeps ggml's order of float operations
 * (e.g. {@code (d * sc) * q - (dmin * m)}); results can differ from ggml's only where its C compiler fuses a multiply
 * and add (one rounding less). {@code DequantizerLlamaCppTest} checks the decoding against llama.cpp itself.
 */
public final class Dequantizer {
    /** Below this many elements a tensor is decoded on the calling thread; above, in parallel chunks of blocks. */
    static final int PARALLEL_THRESHOLD = 1 << 20;
    private static final int CHUNK_ELEMENTS = 1 << 16;

    private Dequantizer() {}

    @FunctionalInterface
    private interface BlockDecoder {
        /** Decodes {@code blocks} blocks starting at byte {@code at} of {@code b} into {@code y[o...]}. */
        void decode(ByteBuffer b, int at, float[] y, int o, int blocks);
    }

    /** Whether {@link #dequantize} can read tensors of this type. */
    public static boolean supports(GgmlType type) {
        return decoderOrNull(type) != null;
    }

    /** All elements of a tensor of the file. */
    public static float[] dequantize(GgufFile file, TensorInfo tensor) {
        long n = tensor.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new GgufFormatException(file.path() + ": tensor '" + tensor.name() + "' has " + n + " elements, too many to train on");
        }
        float[] out = new float[(int) n];
        dequantize(tensor.type(), file.tensorData(tensor), out, tensor.name());
        return out;
    }

    /**
     * Decodes {@code out.length} elements of {@code type} from {@code data} (read from its position, which is left
     * unchanged). {@code what} names the tensor in error messages.
     *
     * @throws GgufFormatException if the type is not supported, or data is too short or not whole blocks
     */
    public static void dequantize(GgmlType type, ByteBuffer data, float[] out, String what) {
        BlockDecoder decoder = decoderOrNull(type);
        if (decoder == null) {
            throw new GgufFormatException("tensor '" + what + "' has type " + type
                    + ", which the trainer cannot read; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, "
                    + "Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
        }
        int bs = type.blockSize();
        if (out.length % bs != 0) {
            throw new GgufFormatException("tensor '" + what + "': " + out.length + " elements are not whole " + type
                    + " blocks of " + bs);
        }
        int blocks = out.length / bs;
        long needed = (long) blocks * type.bytesPerBlock();
        if (data.remaining() < needed) {
            throw new GgufFormatException("tensor '" + what + "': " + type + " data has " + data.remaining()
                    + " bytes, " + needed + " needed for " + out.length + " elements");
        }
        ByteBuffer b = data.slice().order(ByteOrder.LITTLE_ENDIAN); // absolute reads from 0, thread-safe
        int bpb = type.bytesPerBlock();
        if (out.length < PARALLEL_THRESHOLD) {
            decoder.decode(b, 0, out, 0, blocks);
            return;
        }
        int blocksPerChunk = Math.max(1, CHUNK_ELEMENTS / bs);
        int chunks = (blocks + blocksPerChunk - 1) / blocksPerChunk;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int first = c * blocksPerChunk;
            int count = Math.min(blocksPerChunk, blocks - first);
            decoder.decode(b, first * bpb, out, first * bs, count);
        });
    }

    private static BlockDecoder decoderOrNull(GgmlType type) {
        return switch (type) {
            case F32 -> Dequantizer::f32;
            case F16 -> Dequantizer::f16;
            case BF16 -> Dequantizer::bf16;
            case Q8_0 -> Dequantizer::q8_0;
            case Q4_0 -> Dequantizer::q4_0;
            case Q4_1 -> Dequantizer::q4_1;
            case Q5_0 -> Dequantizer::q5_0;
            case Q5_1 -> Dequantizer::q5_1;
            case Q2_K -> Dequantizer::q2K;
            case Q3_K -> Dequantizer::q3K;
            case Q4_K -> Dequantizer::q4K;
            case Q5_K -> Dequantizer::q5K;
            case Q6_K -> Dequantizer::q6K;
            default -> null;
        };
    }

    private static float half(ByteBuffer b, int at) {
        return Float.float16ToFloat(b.getShort(at));
    }

    private static int u8(ByteBuffer b, int at) {
        return b.get(at) & 0xFF;
    }

    /** F32: one float per element. */
    static void f32(ByteBuffer b, int at, float[] y, int o, int n) {
        for (int i = 0; i < n; i++) y[o + i] = b.getFloat(at + 4 * i);
    }

    /** F16: one IEEE half per element. */
    static void f16(ByteBuffer b, int at, float[] y, int o, int n) {
        for (int i = 0; i < n; i++) y[o + i] = Float.float16ToFloat(b.getShort(at + 2 * i));
    }

    /** BF16: the upper 16 bits of a float32. */
    static void bf16(ByteBuffer b, int at, float[] y, int o, int n) {
        for (int i = 0; i < n; i++) y[o + i] = Float.intBitsToFloat((b.getShort(at + 2 * i) & 0xFFFF) << 16);
    }

    /** Q8_0, 34 bytes per 32: f16 d, int8 qs[32]; y[i] = d * qs[i]. */
    static void q8_0(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 34, o += 32) {
            float d = half(b, at);
            for (int i = 0; i < 32; i++) y[o + i] = b.get(at + 2 + i) * d;
        }
    }

    /** Q4_0, 18 bytes per 32: f16 d, u8 qs[16]; y[i] = d * (low nibble of qs[i] - 8), y[i+16] the high nibble. */
    static void q4_0(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 18, o += 32) {
            float d = half(b, at);
            for (int i = 0; i < 16; i++) {
                int q = u8(b, at + 2 + i);
                y[o + i] = ((q & 0xF) - 8) * d;
                y[o + i + 16] = ((q >> 4) - 8) * d;
            }
        }
    }

    /** Q4_1, 20 bytes per 32: f16 d, f16 m, u8 qs[16]; y = d * nibble + m, nibbles ordered as in Q4_0. */
    static void q4_1(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 20, o += 32) {
            float d = half(b, at);
            float m = half(b, at + 2);
            for (int i = 0; i < 16; i++) {
                int q = u8(b, at + 4 + i);
                y[o + i] = (q & 0xF) * d + m;
                y[o + i + 16] = (q >> 4) * d + m;
            }
        }
    }

    /**
     * Q5_0, 22 bytes per 32: f16 d, u32 qh, u8 qs[16]; the 5th bit of element i is bit i of qh, the low 4 bits are
     * nibbles as in Q4_0; y = d * (q - 16).
     */
    static void q5_0(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 22, o += 32) {
            float d = half(b, at);
            int qh = b.getInt(at + 2);
            for (int i = 0; i < 16; i++) {
                int q = u8(b, at + 6 + i);
                y[o + i] = (((q & 0xF) | ((qh >>> i) & 1) << 4) - 16) * d;
                y[o + i + 16] = (((q >> 4) | ((qh >>> (i + 16)) & 1) << 4) - 16) * d;
            }
        }
    }

    /** Q5_1, 24 bytes per 32: f16 d, f16 m, u32 qh, u8 qs[16]; bits as in Q5_0; y = d * q + m. */
    static void q5_1(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 24, o += 32) {
            float d = half(b, at);
            float m = half(b, at + 2);
            int qh = b.getInt(at + 4);
            for (int i = 0; i < 16; i++) {
                int q = u8(b, at + 8 + i);
                y[o + i] = ((q & 0xF) | ((qh >>> i) & 1) << 4) * d + m;
                y[o + i + 16] = ((q >> 4) | ((qh >>> (i + 16)) & 1) << 4) * d + m;
            }
        }
    }

    /**
     * Q2_K, 84 bytes per 256: u8 scales[16] (low nibble scale, high nibble min, one per 16 elements), u8 qs[64],
     * f16 d, f16 dmin. Element e = 128n + 32j + l (l &lt; 32) is bits 2j..2j+1 of qs[32n + l];
     * y = (d * scale[e/16]) * q - (dmin * min[e/16]).
     */
    static void q2K(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 84, o += 256) {
            float d = half(b, at + 80);
            float dmin = half(b, at + 82);
            for (int e0 = 0; e0 < 256; e0 += 16) {
                int sc = u8(b, at + e0 / 16);
                float dl = d * (sc & 0xF);
                float ml = dmin * (sc >> 4);
                int n = e0 / 128;
                int j = (e0 % 128) / 32;
                int qs = at + 16 + 32 * n + (e0 % 32);
                for (int l = 0; l < 16; l++) y[o + e0 + l] = dl * ((u8(b, qs + l) >> (2 * j)) & 3) - ml;
            }
        }
    }

    /**
     * Q3_K, 110 bytes per 256: u8 hmask[32], u8 qs[64], u8 scales[12], f16 d. Element e = 128n + 32j + l has its low 2
     * bits as in Q2_K and its high bit in bit 4n + j of hmask[l]; a clear high bit subtracts 4. The 16 6-bit scales
     * (offset by 32) are packed: low 4 bits of scale i are the low (i &lt; 8) or high nibble of scales[i % 8], the top 2
     * bits are bits 2(i/4)..2(i/4)+1 of scales[8 + i % 4]. y = (d * (scale[e/16] - 32)) * (q - (hbit ? 0 : 4)).
     */
    static void q3K(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 110, o += 256) {
            float d = half(b, at + 108);
            for (int e0 = 0; e0 < 256; e0 += 16) {
                int i = e0 / 16;
                int low = i < 8 ? u8(b, at + 96 + i) & 0xF : u8(b, at + 96 + i - 8) >> 4;
                int high = (u8(b, at + 96 + 8 + i % 4) >> (2 * (i / 4))) & 3;
                float dl = d * ((low | high << 4) - 32);
                int n = e0 / 128;
                int j = (e0 % 128) / 32;
                int l0 = e0 % 32;
                int hbit = 1 << (4 * n + j);
                for (int l = l0; l < l0 + 16; l++) {
                    int q = (u8(b, at + 32 + 32 * n + l) >> (2 * j)) & 3;
                    y[o + e0 + l - l0] = dl * (q - ((u8(b, at + l) & hbit) != 0 ? 0 : 4));
                }
            }
        }
    }

    /**
     * The 6-bit scale (or, at {@code j + 8}, the min) of sub-block j of a Q4_K/Q5_K block, whose 12 packed bytes start
     * at {@code s}: sub-blocks 0-3 use the low 6 bits of bytes j (scale) and j+4 (min); sub-blocks 4-7 take their low 4
     * bits from byte j+4 (scale: low nibble, min: high nibble) and their top 2 bits from the top of bytes j-4 (scale)
     * and j (min). Called with j in 0..7 for scales and 8..15 for mins.
     */
    static int scaleMinK4(ByteBuffer b, int s, int j) {
        boolean min = j >= 8;
        j &= 7;
        if (j < 4) {
            return u8(b, s + j + (min ? 4 : 0)) & 63;
        }
        int lowByte = u8(b, s + j + 4);
        return min ? (lowByte >> 4) | (u8(b, s + j) >> 6) << 4 : (lowByte & 0xF) | (u8(b, s + j - 4) >> 6) << 4;
    }

    /**
     * Q4_K, 144 bytes per 256: f16 d, f16 dmin, u8 scales[12] (8 6-bit scales and mins, see {@link #scaleMinK4}),
     * u8 qs[128]. Element e = 64c + 32h + l is nibble h (0 low, 1 high) of qs[32c + l], in sub-block s = 2c + h;
     * y = (d * scale[s]) * q - (dmin * min[s]).
     */
    static void q4K(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 144, o += 256) {
            float d = half(b, at);
            float dmin = half(b, at + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * scaleMinK4(b, at + 4, 2 * c);
                float m1 = dmin * scaleMinK4(b, at + 4, 8 + 2 * c);
                float d2 = d * scaleMinK4(b, at + 4, 2 * c + 1);
                float m2 = dmin * scaleMinK4(b, at + 4, 8 + 2 * c + 1);
                int qs = at + 16 + 32 * c;
                int e = o + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8(b, qs + l);
                    y[e + l] = d1 * (q & 0xF) - m1;
                    y[e + 32 + l] = d2 * (q >> 4) - m2;
                }
            }
        }
    }

    /**
     * Q5_K, 176 bytes per 256: f16 d, f16 dmin, u8 scales[12] (as Q4_K), u8 qh[32], u8 qs[128]. Low 4 bits as in Q4_K;
     * the 5th bit of element e = 64c + 32h + l is bit 2c + h of qh[l]. y = (d * scale[s]) * q - (dmin * min[s]).
     */
    static void q5K(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int k = 0; k < blocks; k++, at += 176, o += 256) {
            float d = half(b, at);
            float dmin = half(b, at + 2);
            for (int c = 0; c < 4; c++) {
                float d1 = d * scaleMinK4(b, at + 4, 2 * c);
                float m1 = dmin * scaleMinK4(b, at + 4, 8 + 2 * c);
                float d2 = d * scaleMinK4(b, at + 4, 2 * c + 1);
                float m2 = dmin * scaleMinK4(b, at + 4, 8 + 2 * c + 1);
                int qs = at + 48 + 32 * c;
                int e = o + 64 * c;
                for (int l = 0; l < 32; l++) {
                    int q = u8(b, qs + l);
                    int qh = u8(b, at + 16 + l) >> (2 * c);
                    y[e + l] = d1 * ((q & 0xF) | (qh & 1) << 4) - m1;
                    y[e + 32 + l] = d2 * ((q >> 4) | (qh & 2) << 3) - m2;
                }
            }
        }
    }

    /**
     * Q6_K, 210 bytes per 256: u8 ql[128], u8 qh[64], int8 scales[16] (one per 16 elements), f16 d. Element
     * e = 128n + 32k + l (k in 0..3) has its low 4 bits in nibble k/2 of ql[64n + 32(k%2) + l] and its top 2 bits in
     * bits 2k..2k+1 of qh[32n + l]; y = d * scale[e/16] * (q - 32).
     */
    static void q6K(ByteBuffer b, int at, float[] y, int o, int blocks) {
        for (int blk = 0; blk < blocks; blk++, at += 210, o += 256) {
            float d = half(b, at + 208);
            for (int n = 0; n < 2; n++) {
                int ql = at + 64 * n;
                int qh = at + 128 + 32 * n;
                int sc = at + 192 + 8 * n;
                int e = o + 128 * n;
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int lo1 = u8(b, ql + l);
                    int lo2 = u8(b, ql + 32 + l);
                    int hi = u8(b, qh + l);
                    int q1 = ((lo1 & 0xF) | (hi & 3) << 4) - 32;
                    int q2 = ((lo2 & 0xF) | ((hi >> 2) & 3) << 4) - 32;
                    int q3 = ((lo1 >> 4) | ((hi >> 4) & 3) << 4) - 32;
                    int q4 = ((lo2 >> 4) | ((hi >> 6) & 3) << 4) - 32;
                    y[e + l] = d * b.get(sc + is) * q1;
                    y[e + 32 + l] = d * b.get(sc + is + 2) * q2;
                    y[e + 64 + l] = d * b.get(sc + is + 4) * q3;
                    y[e + 96 + l] = d * b.get(sc + is + 6) * q4;
                }
            }
        }
    }
}
