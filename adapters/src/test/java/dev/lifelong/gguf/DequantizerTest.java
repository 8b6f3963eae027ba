package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blocks built by hand from ggml-common.h's layouts, decoded to values worked out by hand. Offsets are bytes within
 * the block; comments give the arithmetic.
 */
class DequantizerTest {
    @TempDir
    Path dir;

    private static ByteBuffer block(GgmlType type) {
        return ByteBuffer.allocate(type.bytesPerBlock()).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static float[] decode(GgmlType type, ByteBuffer data) {
        float[] out = new float[data.capacity() / type.bytesPerBlock() * type.blockSize()];
        Dequantizer.dequantize(type, data, out, "test");
        return out;
    }

    private static short half(float v) {
        return Float.floatToFloat16(v);
    }

    @Test
    void floats() {
        ByteBuffer f32 = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.25f).putFloat(-3f).flip();
        assertThat(decode(GgmlType.F32, f32)).containsExactly(1.25f, -3f);
        ByteBuffer f16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00)
                .putShort((short) 0xC500).flip();
        assertThat(decode(GgmlType.F16, f16)).containsExactly(1f, -5f);
        ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0)
                .putShort((short) 0xC000).flip();
        assertThat(decode(GgmlType.BF16, bf16)).containsExactly(1.5f, -2f);
    }

    @Test
    void q8_0() {
        ByteBuffer b = block(GgmlType.Q8_0).putShort(0, half(0.5f));
        b.put(2, (byte) 2).put(3, (byte) -3).put(33, (byte) 127);
        float[] y = decode(GgmlType.Q8_0, b);
        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isEqualTo(-1.5f);
        assertThat(y[2]).isEqualTo(0f);
        assertThat(y[31]).isEqualTo(63.5f);
    }

    @Test
    void q4_0() {
        ByteBuffer b = block(GgmlType.Q4_0).putShort(0, half(0.25f));
        b.put(2, (byte) 0x1F).put(17, (byte) 0x80);
        float[] y = decode(GgmlType.Q4_0, b);
        assertThat(y[0]).isEqualTo(1.75f); // low nibble 15: (15 - 8) * 0.25
        assertThat(y[16]).isEqualTo(-1.75f); // high nibble 1: (1 - 8) * 0.25
        assertThat(y[15]).isEqualTo(-2f); // low nibble 0
        assertThat(y[31]).isEqualTo(0f); // high nibble 8
        assertThat(y[1]).isEqualTo(-2f);
    }

    @Test
    void q4_1() {
        ByteBuffer b = block(GgmlType.Q4_1).putShort(0, half(0.5f)).putShort(2, half(-1f));
        b.put(4, (byte) 0x3A);
        float[] y = decode(GgmlType.Q4_1, b);
        assertThat(y[0]).isEqualTo(4f); // 10 * 0.5 - 1
        assertThat(y[16]).isEqualTo(0.5f); // 3 * 0.5 - 1
        assertThat(y[1]).isEqualTo(-1f);
    }

    @Test
    void q5_0() {
        ByteBuffer b = block(GgmlType.Q5_0).putShort(0, half(1f));
        b.putInt(2, 1 | 1 << 16 | 1 << 31).put(6, (byte) 0x21);
        float[] y = decode(GgmlType.Q5_0, b);
        assertThat(y[0]).isEqualTo(1f); // (1 | 16) - 16
        assertThat(y[16]).isEqualTo(2f); // (2 | 16) - 16
        assertThat(y[15]).isEqualTo(-16f); // 0 - 16
        assertThat(y[31]).isEqualTo(0f); // (0 | 16) - 16
    }

    @Test
    void q5_1() {
        ByteBuffer b = block(GgmlType.Q5_1).putShort(0, half(0.5f)).putShort(2, half(1f));
        b.putInt(4, 1 << 1).put(9, (byte) 0xF3);
        float[] y = decode(GgmlType.Q5_1, b);
        assertThat(y[1]).isEqualTo(10.5f); // (3 | 16) * 0.5 + 1
        assertThat(y[17]).isEqualTo(8.5f); // 15 * 0.5 + 1, bit 17 clear
        assertThat(y[0]).isEqualTo(1f);
    }

    @Test
    void q2K() {
        ByteBuffer b = block(GgmlType.Q2_K).putShort(80, half(0.5f)).putShort(82, half(0.25f));
        b.put(0, (byte) 0x21); // sub-block 0: scale 1, min 2
        b.put(5, (byte) 0x0F); // sub-block 5: scale 15, min 0
        b.put(15, (byte) 0x13); // sub-block 15: scale 3, min 1
        b.put(16, (byte) 0b11); // qs[0], bits 0-1: element 0
        b.put(16 + 16, (byte) 0b11_0000); // qs[16], bits 4-5: element 32*2 + 16 = 80
        b.put(16 + 63, (byte) 0b10_000000); // qs[63], bits 6-7: element 128 + 96 + 31 = 255
        float[] y = decode(GgmlType.Q2_K, b);
        assertThat(y[0]).isEqualTo(1f); // 0.5 * 1 * 3 - 0.25 * 2
        assertThat(y[1]).isEqualTo(-0.5f); // q 0
        assertThat(y[80]).isEqualTo(22.5f); // 0.5 * 15 * 3
        assertThat(y[255]).isEqualTo(2.75f); // 0.5 * 3 * 2 - 0.25 * 1
        assertThat(y[16]).isEqualTo(0f); // sub-block 1 has scale and min 0
    }

    @Test
    void q3K() {
        ByteBuffer b = block(GgmlType.Q3_K).putShort(108, half(2f));
        // Scale 0 stored as 33 (= +1): low 4 bits 1 in scales[0] low nibble, top bits 2 in scales[8] bits 0-1.
        b.put(96, (byte) 0x01).put(96 + 8, (byte) 0x02);
        // Scale 13 stored as 28 (= -4): low 4 bits 12 in scales[5] high nibble, top bits 1 in scales[9] bits 6-7.
        b.put(96 + 5, (byte) 0xC0).put(96 + 9, (byte) 0x40);
        b.put(32, (byte) 0b11).put(0, (byte) 1); // element 0: low bits 3, high bit set
        // element 208 = 128 + 32*2 + 16: qs[32 + 16] bits 4-5 = 2, hmask[16] bit 4 + 2 = 6 clear
        b.put(32 + 48, (byte) 0b10_0000);
        float[] y = decode(GgmlType.Q3_K, b);
        assertThat(y[0]).isEqualTo(6f); // 2 * 1 * 3
        assertThat(y[1]).isEqualTo(-8f); // 2 * 1 * (0 - 4)
        assertThat(y[208]).isEqualTo(16f); // 2 * -4 * (2 - 4)
        assertThat(y[16]).isEqualTo(256f); // scale stored 0 is -32: 2 * -32 * (0 - 4)
    }

    @Test
    void q4K() {
        ByteBuffer b = block(GgmlType.Q4_K).putShort(0, half(0.5f)).putShort(2, half(1f));
        b.put(4, (byte) 3).put(4 + 4, (byte) 1); // sub-block 0: scale 3, min 1
        // sub-block 6: scale 37 = 0b10_0101, min 20 = 0b01_0100: low 4 bits in scales[10] (scale low, min high
        // nibble), top 2 bits in scales[2] bits 6-7 (scale) and scales[6] bits 6-7 (min)
        b.put(4 + 10, (byte) 0x45).put(4 + 2, (byte) 0x80).put(4 + 6, (byte) 0x40);
        b.put(16, (byte) 0x7A); // qs[0]: element 0 low nibble 10, element 32 high nibble 7
        b.put(16 + 96 + 8, (byte) 0x0F); // qs[104]: element 192 + 8 low nibble 15, element 232 high nibble 0
        float[] y = decode(GgmlType.Q4_K, b);
        assertThat(y[0]).isEqualTo(14f); // 0.5 * 3 * 10 - 1 * 1
        assertThat(y[32]).isEqualTo(0f); // sub-block 1 has scale and min 0
        assertThat(y[200]).isEqualTo(257.5f); // 0.5 * 37 * 15 - 1 * 20
        assertThat(y[232]).isEqualTo(0f);
        assertThat(y[64]).isEqualTo(0f); // sub-block 2's scale is the low 6 bits of scales[2] only
        assertThat(y[1]).isEqualTo(-1f);
    }

    @Test
    void q5K() {
        ByteBuffer b = block(GgmlType.Q5_K).putShort(0, half(1f)).putShort(2, half(0.5f));
        b.put(4, (byte) 2).put(4 + 1, (byte) 1).put(4 + 4, (byte) 4); // scales 2, 1 and min 4 of sub-blocks 0, 1
        b.put(4 + 9, (byte) 0x21); // sub-block 5: scale 1, min 2 (top bits from scales[1], scales[5]: 0)
        b.put(48, (byte) 0x01); // qs[0]: element 0 low 4 bits 1, element 32 low 4 bits 0
        b.put(16, (byte) 0b11); // qh[0]: bit 0 for element 0, bit 1 for element 32
        b.put(48 + 64 + 3, (byte) 0x90); // qs[67] high nibble 9: element 128 + 32 + 3 = 163
        b.put(16 + 3, (byte) 0b10_0000); // qh[3] bit 2*2 + 1 = 5: element 163
        float[] y = decode(GgmlType.Q5_K, b);
        assertThat(y[0]).isEqualTo(32f); // 1 * 2 * 17 - 0.5 * 4
        assertThat(y[32]).isEqualTo(16f); // 1 * 1 * 16
        assertThat(y[163]).isEqualTo(24f); // 1 * 1 * 25 - 0.5 * 2
        assertThat(y[1]).isEqualTo(-2f);
    }

    @Test
    void q6K() {
        ByteBuffer b = block(GgmlType.Q6_K).putShort(208, half(0.5f));
        b.put(192, (byte) -2).put(192 + 13, (byte) 3);
        b.put(0, (byte) 0x05).put(128, (byte) 0b10); // element 0: low 5, top 2 -> 37 - 32 = 5
        // element 208 = 128 + 32*2 + 16: ql[64 + 16] high nibble 15, qh[32 + 16] bits 4-5 = 3 -> 63 - 32 = 31
        b.put(80, (byte) 0xF0).put(128 + 48, (byte) 0b11_0000);
        float[] y = decode(GgmlType.Q6_K, b);
        assertThat(y[0]).isEqualTo(-5f); // 0.5 * -2 * 5
        assertThat(y[1]).isEqualTo(32f); // 0.5 * -2 * -32
        assertThat(y[208]).isEqualTo(46.5f); // 0.5 * 3 * 31
    }

    @Test
    void readsFromTheBufferPositionAndLeavesItThere() {
        ByteBuffer b = ByteBuffer.allocate(6).order(ByteOrder.BIG_ENDIAN);
        b.position(2);
        b.duplicate().order(ByteOrder.LITTLE_ENDIAN).putFloat(2, 3.5f);
        float[] out = new float[1];
        Dequantizer.dequantize(GgmlType.F32, b, out, "t");
        assertThat(out[0]).isEqualTo(3.5f);
        assertThat(b.position()).isEqualTo(2);
    }

    @Test
    void largeTensorsDecodeInParallelToTheSameValues() {
        int n = Dequantizer.PARALLEL_THRESHOLD + 256 * 7;
        float[] values = new float[n];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < n; i++) values[i] = (float) r.nextGaussian();
        ByteBuffer data = ByteBuffer.wrap(Quantizer.quantize(GgmlType.Q4_K, values));
        float[] all = new float[n];
        Dequantizer.dequantize(GgmlType.Q4_K, data, all, "big");
        float[] oneBlock = new float[256];
        for (int blk = 0; blk < n / 256; blk += 97) {
            Dequantizer.dequantize(GgmlType.Q4_K, data.slice(blk * 144, 144), oneBlock, "block");
            for (int i = 0; i < 256; i++) assertThat(all[blk * 256 + i]).isEqualTo(oneBlock[i]);
        }
    }

    @Test
    void unsupportedTypeNamesTypeAndTensor() throws Exception {
        Path file = GgufWriter.create().putString("general.architecture", "llama")
                .addTensor("blk.0.attn_q.weight", new long[] {32, 2}, GgmlType.IQ4_NL, new byte[2 * 18])
                .write(dir.resolve("iq4.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            TensorInfo t = gguf.tensor("blk.0.attn_q.weight").orElseThrow();
            assertThatThrownBy(() -> Dequantizer.dequantize(gguf, t)).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("blk.0.attn_q.weight").hasMessageContaining("IQ4_NL")
                    .hasMessageContaining("Q4_K");
        }
        assertThat(Dequantizer.supports(GgmlType.IQ4_NL)).isFalse();
        assertThat(Dequantizer.supports(GgmlType.Q6_K)).isTrue();
    }

    @Test
    void shortDataIsAFormatError() {
        float[] out = new float[512];
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.Q6_K, ByteBuffer.allocate(300), out, "w"))
                .isInstanceOf(GgufFormatException.class).hasMessageContaining("'w'").hasMessageContaining("420");
        assertThatThrownBy(() -> Dequantizer.dequantize(GgmlType.Q8_0, ByteBuffer.allocate(340), new float[33], "w"))
                .isInstanceOf(GgufFormatException.class).hasMessageContaining("blocks of 32");
    }
}
