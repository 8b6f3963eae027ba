package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyMetadataTypeRoundTrips() throws Exception {
        Path file = GgufWriter.create()
                .putString("s", "héllo 世界 🌱")
                .putString("empty", "")
                .putUInt8("u8", 255)
                .putInt8("i8", -128)
                .putUInt16("u16", 65535)
                .putInt16("i16", -32768)
                .putUInt32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", Long.MAX_VALUE)
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 3.25f)
                .putFloat64("f64", Math.PI)
                .putBool("yes", true)
                .putBool("no", false)
                .putStringArray("strings", List.of("a", "", "<0xFF>"))
                .putInt32Array("ints", new int[] {1, -2, 3})
                .putFloat32Array("floats", new float[] {0.5f, -1e-7f})
                .putArray("u8s", GgufValueType.UINT8, List.of(0, 7, 255))
                .putArray("bools", GgufValueType.BOOL, List.of(true, false))
                .putArray("nested", GgufValueType.ARRAY, List.of(
                        new GgufWriter.Array(GgufValueType.INT64, List.of(1L, 2L)),
                        new GgufWriter.Array(GgufValueType.STRING, List.of("x"))))
                .putArray("none", GgufValueType.FLOAT64, List.of())
                .write(dir.resolve("meta.gguf"));

        try (GgufFile gguf = GgufReader.read(file)) {
            assertThat(gguf.version()).isEqualTo(3);
            assertThat(gguf.tensors()).isEmpty();
            Map<String, Object> m = gguf.metadata();
            assertThat(m.keySet()).containsExactly("s", "empty", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                    "f32", "f64", "yes", "no", "strings", "ints", "floats", "u8s", "bools", "nested", "none");
            assertThat(gguf.getString("s")).isEqualTo("héllo 世界 🌱");
            assertThat(gguf.getString("empty")).isEmpty();
            assertThat(gguf.getLong("u8")).isEqualTo(255);
            assertThat(gguf.getLong("i8")).isEqualTo(-128);
            assertThat(gguf.getLong("u16")).isEqualTo(65535);
            assertThat(gguf.getLong("i16")).isEqualTo(-32768);
            assertThat(gguf.getLong("u32")).isEqualTo(0xFFFF_FFFFL);
            assertThat(gguf.getLong("i32")).isEqualTo(Integer.MIN_VALUE);
            assertThat(gguf.getLong("u64")).isEqualTo(Long.MAX_VALUE);
            assertThat(gguf.getLong("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(gguf.getFloat("f32")).isEqualTo(3.25f);
            assertThat(gguf.findDouble("f64")).contains(Math.PI);
            assertThat(gguf.getBoolean("yes")).isTrue();
            assertThat(gguf.getBoolean("no")).isFalse();
            assertThat(gguf.getStringList("strings")).containsExactly("a", "", "<0xFF>");
            assertThat(gguf.getIntArray("ints")).containsExactly(1, -2, 3);
            assertThat(gguf.getFloatArray("floats")).containsExactly(0.5f, -1e-7f);
            assertThat(gguf.getLongArray("u8s")).containsExactly(0, 7, 255);
            assertThat(gguf.getList("bools")).isEqualTo(List.of(true, false));
            assertThat(gguf.getList("nested")).isEqualTo(List.of(List.of(1L, 2L), List.of("x")));
            assertThat(gguf.getList("none")).isEmpty();

            assertThat(gguf.valueType("u8")).contains(GgufValueType.UINT8);
            assertThat(gguf.valueType("i16")).contains(GgufValueType.INT16);
            assertThat(gguf.valueType("u64")).contains(GgufValueType.UINT64);
            assertThat(gguf.valueType("f64")).contains(GgufValueType.FLOAT64);
            assertThat(gguf.valueType("nested")).contains(GgufValueType.ARRAY);
            assertThat(gguf.arrayElementType("nested")).contains(GgufValueType.ARRAY);
            assertThat(gguf.arrayElementType("u8s")).contains(GgufValueType.UINT8);
            assertThat(gguf.findString("absent")).isEmpty();
            assertThatThrownBy(() -> gguf.getString("absent")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'absent' is missing");
            assertThatThrownBy(() -> gguf.getString("u8")).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'u8' should be a string but is UINT8");
        }
    }

    @Test
    void tensorsRoundTripExactlyAndAreAligned() throws Exception {
        float[] f32 = {1f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, 0.1f, -3.5f};
        float[] f16 = {1f, -2f, 0.5f, 65504f, 0.099975586f, -0.000061035156f, 1e-8f, 0.1f};
        byte[] q8 = new byte[2 * 34];
        for (int i = 0; i < q8.length; i++) {
            q8[i] = (byte) (i * 7);
        }
        Path file = GgufWriter.create()
                .putString("general.architecture", "test")
                .addTensor("odd", new long[] {3, 2}, GgmlType.F32, f32)
                .addTensor("half", new long[] {8}, GgmlType.F16, f16)
                .addTensor("quant", new long[] {32, 2}, GgmlType.Q8_0, q8)
                .write(dir.resolve("tensors.gguf"));

        try (GgufFile gguf = GgufReader.read(file)) {
            assertThat(gguf.alignment()).isEqualTo(32);
            assertThat(gguf.dataStart() % 32).isZero();
            assertThat(gguf.tensors()).extracting(TensorInfo::name).containsExactly("odd", "half", "quant");
            for (TensorInfo t : gguf.tensors()) {
                assertThat(t.offset() % 32).as(t.name()).isZero();
            }
            TensorInfo odd = gguf.tensor("odd").orElseThrow();
            assertThat(odd.shape()).containsExactly(3, 2);
            assertThat(odd.type()).isEqualTo(GgmlType.F32);
            assertThat(odd.byteSize()).isEqualTo(24);
            ByteBuffer data = gguf.tensorData(odd);
            for (float v : f32) {
                assertThat(Float.floatToRawIntBits(data.getFloat())).isEqualTo(Float.floatToRawIntBits(v));
            }
            TensorInfo half = gguf.tensor("half").orElseThrow();
            assertThat(half.offset()).isEqualTo(32);
            data = gguf.tensorData(half);
            for (float v : f16) {
                assertThat(Float.float16ToFloat(data.getShort())).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(v)));
            }
            assertThat(Float.float16ToFloat(gguf.tensorData(half).getShort(6))).isEqualTo(65504f);
            TensorInfo quant = gguf.tensor("quant").orElseThrow();
            assertThat(quant.offset()).isEqualTo(64);
            byte[] back = new byte[q8.length];
            gguf.tensorData(quant).get(back);
            assertThat(back).isEqualTo(q8);
            assertThat(gguf.fileSize()).isEqualTo(gguf.dataStart() + 64 + 96); // the last tensor is padded too
        }
    }

    @Test
    void otherAlignmentIsWrittenAndRespected() throws Exception {
        Path file = GgufWriter.create().alignment(64)
                .addTensor("a", new long[] {3}, GgmlType.F32, new float[] {1, 2, 3})
                .addTensor("b", new long[] {1}, GgmlType.F32, new float[] {4})
                .write(dir.resolve("aligned.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            assertThat(gguf.alignment()).isEqualTo(64);
            assertThat(gguf.valueType("general.alignment")).contains(GgufValueType.UINT32);
            assertThat(gguf.dataStart() % 64).isZero();
            assertThat(gguf.tensor("b").orElseThrow().offset()).isEqualTo(64);
            assertThat(gguf.tensorData(gguf.tensor("b").orElseThrow()).getFloat()).isEqualTo(4f);
        }
    }

    @Test
    void writerRefusesInconsistentTensors() {
        GgufWriter w = GgufWriter.create();
        assertThatThrownBy(() -> w.addTensor("q", new long[] {32}, GgmlType.Q8_0, new byte[33]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes 34 bytes but 33");
        assertThatThrownBy(() -> w.addTensor("q", new long[] {16}, GgmlType.Q4_K, new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size 256");
        assertThatThrownBy(() -> w.addTensor("f", new long[] {2}, GgmlType.F32, new float[3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("f", new long[] {32}, GgmlType.Q8_0, new float[32]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.putUInt8("k", 256)).isInstanceOf(IllegalArgumentException.class);
        w.addTensor("t", new long[] {1}, GgmlType.F32, new float[1]);
        assertThatThrownBy(() -> w.addTensor("t", new long[] {1}, GgmlType.F32, new float[1]))
                .hasMessageContaining("duplicate");
    }

    @Test
    void ggmlTypesKnowTheirSizes() {
        assertThat(GgmlType.fromId(0)).isEqualTo(GgmlType.F32);
        assertThat(GgmlType.fromId(30)).isEqualTo(GgmlType.BF16);
        assertThat(GgmlType.fromId(12)).isEqualTo(GgmlType.Q4_K);
        assertThat(GgmlType.Q4_K.byteSize(4096)).isEqualTo(16 * 144);
        assertThat(GgmlType.Q8_0.byteSize(64)).isEqualTo(68);
        assertThat(GgmlType.F16.byteSize(3)).isEqualTo(6);
        assertThatThrownBy(() -> GgmlType.fromId(4)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("unknown ggml tensor type id 4");
        assertThatThrownBy(() -> GgmlType.fromId(39)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("39");
    }
}
