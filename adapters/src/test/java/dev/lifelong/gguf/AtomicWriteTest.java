package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicWriteTest {
    @TempDir
    Path dir;

    /** A tensor source that fails after writing part of its data, as a full disk or a bug would. */
    private static GgufWriter failingWriter() {
        return GgufWriter.create().putString("general.architecture", "llama")
                .addTensor("ok", new long[] {1024}, GgmlType.F32, new float[1024])
                .addTensor("broken", new long[] {1 << 20}, GgmlType.F32, out -> {
                    out.write(ByteBuffer.allocate(1 << 19));
                    throw new IOException("injected failure halfway through");
                });
    }

    private long filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.count();
        }
    }

    @Test
    void failedWriteLeavesNothingBehind() throws Exception {
        Path target = dir.resolve("model.gguf");
        assertThatThrownBy(() -> failingWriter().write(target)).isInstanceOf(IOException.class)
                .hasMessageContaining("injected");
        assertThat(filesIn(dir)).isZero();
    }

    @Test
    void failedWriteKeepsTheExistingFile() throws Exception {
        Path target = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("model.gguf"));
        byte[] before = Files.readAllBytes(target);
        assertThatThrownBy(() -> failingWriter().write(target)).hasMessageContaining("injected");
        assertThat(Files.readAllBytes(target)).isEqualTo(before);
        assertThat(filesIn(dir)).isEqualTo(1);
    }

    @Test
    void tensorSourceWritingTheWrongSizeFails() throws Exception {
        Path target = dir.resolve("short.gguf");
        GgufWriter w = GgufWriter.create().addTensor("t", new long[] {4}, GgmlType.F32,
                out -> out.writeFloats(new float[3], 0, 3));
        assertThatThrownBy(() -> w.write(target)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("12 bytes were written instead of 16");
        GgufWriter tooMuch = GgufWriter.create().addTensor("t", new long[] {2}, GgmlType.F32,
                out -> out.writeFloats(new float[3], 0, 3));
        assertThatThrownBy(() -> tooMuch.write(target)).isInstanceOf(IllegalStateException.class);
        assertThat(filesIn(dir)).isZero();
    }

    @Test
    void successfulWriteReplacesTheTarget() throws Exception {
        Path target = Files.writeString(dir.resolve("model.gguf"), "old");
        GgufWriter.create().putString("general.name", "new").write(target);
        try (GgufFile gguf = GgufReader.read(target)) {
            assertThat(gguf.getString("general.name")).isEqualTo("new");
        }
        assertThat(filesIn(dir)).isEqualTo(1);
    }
}
