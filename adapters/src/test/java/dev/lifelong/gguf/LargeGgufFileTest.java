package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files beyond 2 GiB (any 7B model) are read and mapped correctly. Writes 2.6 GB, hence slow. */
@Tag("slow")
class LargeGgufFileTest {
    @TempDir
    Path dir;

    private static GgufWriter.TensorContent counting(long floats, int marker) {
        return out -> {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < floats; i++) {
                chunk.putFloat(i == 0 || i == floats - 1 ? marker : 0f);
                if (!chunk.hasRemaining()) {
                    out.write(chunk.flip());
                    chunk.clear();
                }
            }
            out.write(chunk.flip());
        };
    }

    @Test
    void tensorsBeyondTwoGibibytesAreMapped() throws Exception {
        long big = (600L << 20) / 4; // 600 MiB of floats
        long huge = (2200L << 20) / 4; // 2200 MiB, more than one mapping holds
        GgufWriter w = GgufWriter.create().putString("general.architecture", "test");
        w.addTensor("a", new long[] {big}, GgmlType.F32, counting(big, 1));
        w.addTensor("huge", new long[] {huge}, GgmlType.F32, counting(huge, 2));
        w.addTensor("last", new long[] {8}, GgmlType.F32, new float[] {3, 0, 0, 0, 0, 0, 0, 4});
        Path file = w.write(dir.resolve("big.gguf"));
        assertThat(Files.size(file)).isGreaterThan(1L << 31);
        try (GgufFile gguf = GgufReader.read(file)) {
            TensorInfo last = gguf.tensor("last").orElseThrow();
            assertThat(gguf.dataStart() + last.offset()).isGreaterThan(1L << 31);
            ByteBuffer data = gguf.tensorData(last);
            assertThat(data.getFloat(0)).isEqualTo(3f);
            assertThat(data.getFloat(28)).isEqualTo(4f);
            TensorInfo hugeTensor = gguf.tensor("huge").orElseThrow();
            assertThatThrownBy(() -> gguf.tensorData(hugeTensor)).hasMessageContaining("read it in parts");
            assertThat(gguf.tensorData(hugeTensor, 0, 4).getFloat()).isEqualTo(2f);
            assertThat(gguf.tensorData(hugeTensor, hugeTensor.byteSize() - 4, 4).getFloat()).isEqualTo(2f);
            assertThat(gguf.tensorData(gguf.tensor("a").orElseThrow(), big * 4 - 4, 4).getFloat()).isEqualTo(1f);
        }
    }
}
