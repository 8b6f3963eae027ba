package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged and foreign files give a clear {@link GgufFormatException}, never an OOM or a crash. */
class BadGgufFileTest {
    @TempDir
    Path dir;
    byte[] model;
    long dataStart;
    long metadataEnd;

    @BeforeEach
    void writeModel() throws Exception {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("good.gguf"));
        model = Files.readAllBytes(file);
        try (GgufFile gguf = GgufReader.read(file)) {
            dataStart = gguf.dataStart();
        }
        // The metadata ends where the first tensor name ("token_embd.weight") starts, 8 bytes after its length.
        byte[] name = "token_embd.weight".getBytes(StandardCharsets.UTF_8);
        metadataEnd = indexOf(model, name) - 8;
    }

    private Path file(String name, byte[] bytes) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    private static ByteBuffer header(int version, long tensors, long kvs) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(GgufReader.MAGIC).putInt(version)
                .putLong(tensors).putLong(kvs);
    }

    private static String failure(Path file) {
        Throwable t = catchThrowable(() -> GgufReader.read(file).close());
        assertThat(t).isInstanceOf(GgufFormatException.class);
        assertThat(t.getMessage()).startsWith(file.toString() + ": ");
        return t.getMessage();
    }

    @Test
    void emptyFile() throws Exception {
        assertThat(failure(file("empty.gguf", new byte[0]))).contains("not a GGUF file (the file is empty)");
    }

    @Test
    void missingFileOrDirectory() {
        assertThat(failure(dir.resolve("absent.gguf"))).endsWith(": no such file");
        assertThat(failure(dir)).endsWith(": is a directory, not a GGUF file");
    }

    @Test
    void zipFile() throws Exception {
        byte[] zip = {'P', 'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        assertThat(failure(file("model.zip", zip))).contains("not a GGUF file (magic 'PK..')");
    }

    @Test
    void versionOne() throws Exception {
        assertThat(failure(file("old.gguf", header(1, 0, 0).array()))).contains("unsupported GGUF version 1");
        assertThat(failure(file("future.gguf", header(4, 0, 0).array()))).contains("unsupported GGUF version 4");
    }

    @Test
    void truncatedInTheHeader() throws Exception {
        String message = failure(file("cut.gguf", Arrays.copyOf(model, 10)));
        assertThat(message).contains("file is truncated in the header").contains("the download may be incomplete");
    }

    @Test
    void truncatedInTheMetadata() throws Exception {
        assertThat(failure(file("cut.gguf", Arrays.copyOf(model, 100)))).contains("truncated").contains("metadata");
        assertThat(failure(file("cut2.gguf", Arrays.copyOf(model, (int) metadataEnd - 3))))
                .contains("truncated").contains("metadata");
    }

    @Test
    void truncatedInTheTensorInfos() throws Exception {
        assertThat(failure(file("cut.gguf", Arrays.copyOf(model, (int) metadataEnd + 20))))
                .contains("truncated in the tensor info");
        assertThat(failure(file("cut2.gguf", Arrays.copyOf(model, (int) dataStart - 40))))
                .contains("truncated in the tensor info");
    }

    @Test
    void truncatedInTheTensorData() throws Exception {
        assertThat(failure(file("cut.gguf", Arrays.copyOf(model, model.length - 10))))
                .contains("file is truncated: tensor 'output.weight' ends at byte " + model.length)
                .contains("but the file has " + (model.length - 10) + " bytes — the download may be incomplete");
        assertThat(failure(file("cut2.gguf", Arrays.copyOf(model, (int) dataStart + 100))))
                .contains("file is truncated: tensor 'token_embd.weight' ends at byte");
        assertThat(failure(file("cut3.gguf", Arrays.copyOf(model, (int) dataStart))))
                .contains("file is truncated: tensor");
    }

    @Test
    void absurdTensorCount() throws Exception {
        assertThat(failure(file("absurd.gguf", header(3, 1L << 40, 0).array())))
                .contains("absurd tensor count 1099511627776");
        assertThat(failure(file("absurd2.gguf", header(3, -1, 0).array())))
                .contains("absurd tensor count 18446744073709551615");
        assertThat(failure(file("absurd3.gguf", header(3, 0, 1L << 50).array()))).contains("absurd metadata count");
        assertThat(failure(file("many.gguf", header(3, 1000, 0).array())))
                .contains("file is truncated in the header: it declares 0 metadata entries and 1000 tensors");
    }

    @Test
    void stringLengthBeyondTheFile() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header(3, 0, 1).flip()).putLong(1L << 40).put("general".getBytes(StandardCharsets.US_ASCII));
        assertThat(failure(file("string.gguf", Arrays.copyOf(b.array(), b.position()))))
                .contains("file is truncated in the metadata entry 1 of 1: string length 1099511627776 goes beyond the end "
                        + "of the file");
    }

    @Test
    void arrayCountBeyondTheFile() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(header(3, 0, 1).flip()).putLong(1).put((byte) 'a').putInt(GgufValueType.ARRAY.id())
                .putInt(GgufValueType.UINT32.id()).putLong(1L << 60);
        assertThat(failure(file("array.gguf", Arrays.copyOf(b.array(), b.position()))))
                .contains("truncated in the metadata 'a': an array of 1152921504606846976 UINT32 values cannot fit");
    }

    @Test
    void unknownTensorType() throws Exception {
        byte[] bytes = model.clone();
        // The type id follows the name, the dimension count and two dimensions of token_embd.weight.
        int at = indexOf(bytes, "token_embd.weight".getBytes(StandardCharsets.UTF_8)) + 17 + 4 + 16;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 99);
        assertThat(failure(file("type.gguf", bytes))).contains("tensor 'token_embd.weight': unknown ggml tensor type id 99");
    }

    @Test
    void tensorDataOutOfOrder() throws Exception {
        byte[] bytes = model.clone();
        // The offset follows the type id of the second tensor, blk.0.attn_norm.weight (one dimension).
        byte[] name = "blk.0.attn_norm.weight".getBytes(StandardCharsets.UTF_8);
        int at = indexOf(bytes, name) + name.length + 4 + 8 + 4;
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long offset = buffer.getLong(at);
        buffer.putLong(at, offset + 32);
        assertThat(failure(file("moved.gguf", bytes))).contains("tensor 'blk.0.attn_norm.weight' has data offset "
                + (offset + 32) + " where llama.cpp expects " + offset);
    }

    @Test
    void randomDamageNeverEscapesAsAnotherError() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        int end = (int) dataStart;
        for (int round = 0; round < 300; round++) {
            byte[] bytes = model.clone();
            for (int i = 0; i < 1 + random.nextInt(4); i++) {
                int at = random.nextInt(end);
                bytes[at] = (byte) (random.nextBoolean() ? random.nextInt(256) : 0xFF);
            }
            Path damaged = file("damaged.gguf", bytes);
            try (GgufFile gguf = GgufReader.read(damaged)) {
                for (TensorInfo t : gguf.tensors()) {
                    assertThat(gguf.tensorData(t).capacity()).isEqualTo(t.byteSize());
                }
                try {
                    ModelCompatibility.check(gguf);
                    gguf.modelInfo();
                } catch (GgufFormatException expected) {
                    // damage in the metadata may well make it an unusable model
                }
            } catch (GgufFormatException expected) {
                assertThat(expected.getMessage()).startsWith(damaged.toString());
            }
        }
    }

    @Test
    void unsupportedArchitectureIsRefused() throws Exception {
        Path qwen3 = GgufWriter.create().putString("general.architecture", "qwen3")
                .putString("tokenizer.ggml.model", "gpt2").putStringArray("tokenizer.ggml.tokens", List.of("a"))
                .addTensor("token_embd.weight", new long[] {4, 1}, GgmlType.F32, new float[4])
                .addTensor("blk.0.attn_norm.weight", new long[] {4}, GgmlType.F32, new float[4])
                .write(dir.resolve("Qwen3-0.6B.gguf"));
        try (GgufFile gguf = GgufReader.read(qwen3)) {
            assertThatThrownBy(() -> ModelCompatibility.check(gguf)).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("Qwen3-0.6B.gguf: architecture 'qwen3' is newer than the llama.cpp b4916 "
                            + "(March 2025) embedded in java-llama.cpp 4.2.0")
                    .hasMessageContaining("use a llama, qwen2, gemma2/gemma3, phi3");
        }
    }

    @Test
    void filesWithoutWeightsOrVocabularyAreRefused() throws Exception {
        Path noTensors = GgufWriter.create().putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "llama").putStringArray("tokenizer.ggml.tokens", List.of("a"))
                .write(dir.resolve("empty-model.gguf"));
        Path noVocab = GgufWriter.create().putString("general.architecture", "llama")
                .addTensor("token_embd.weight", new long[] {4, 1}, GgmlType.F32, new float[4])
                .addTensor("blk.0.attn_norm.weight", new long[] {4}, GgmlType.F32, new float[4])
                .write(dir.resolve("no-vocab.gguf"));
        Path adapter = GgufWriter.create().putString("general.architecture", "llama")
                .putString("general.type", "adapter").write(dir.resolve("lora.gguf"));
        try (GgufFile a = GgufReader.read(noTensors); GgufFile b = GgufReader.read(noVocab);
                GgufFile c = GgufReader.read(adapter)) {
            assertThatThrownBy(() -> ModelCompatibility.check(a)).hasMessageContaining("no tensors");
            assertThatThrownBy(() -> ModelCompatibility.check(b)).hasMessageContaining("no vocabulary");
            assertThatThrownBy(() -> ModelCompatibility.check(c)).hasMessageContaining("LoRA adapter");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
