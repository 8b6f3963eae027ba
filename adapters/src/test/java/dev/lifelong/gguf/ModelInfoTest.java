package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInfoTest {
    @TempDir
    Path dir;

    @Test
    void describesTheTinyModel() throws Exception {
        RandomLlamaModel.Spec spec = RandomLlamaModel.Spec.tiny();
        Path file = RandomLlamaModel.write(spec, dir.resolve("tiny.gguf"));
        long e = spec.nEmbd();
        long kv = (long) spec.headDim() * spec.nHeadKv();
        long perLayer = 2 * e + 2 * e * e + 2 * e * kv + 3 * e * spec.nFf();
        long params = 2L * spec.vocabSize() * e + spec.nLayer() * perLayer + e;
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelCompatibility.check(gguf);
            assertThat(gguf.modelInfo()).isEqualTo(new ModelInfo("llama", "tiny-random-llama", params, 512, 64, 2, 4, 2,
                    356, "F32", true, Files.size(file)));
            assertThat(gguf.getStringList("tokenizer.ggml.tokens")).startsWith("<unk>", "<s>", "</s>", "<|im_start|>",
                    "<|im_end|>", "<0x00>", "<0x01>");
        }
    }

    @Test
    void labelsTheDominantWeightType() throws Exception {
        Path f16 = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny().withWeightType(GgmlType.F16),
                dir.resolve("f16.gguf"));
        Path q8 = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny().withWeightType(GgmlType.Q8_0),
                dir.resolve("q8.gguf"));
        try (GgufFile a = GgufReader.read(f16); GgufFile b = GgufReader.read(q8)) {
            assertThat(a.modelInfo().fileTypeLabel()).isEqualTo("F16");
            assertThat(b.modelInfo().fileTypeLabel()).isEqualTo("Q8_0");
        }
    }

    @Test
    void nameFallsBackToTheFileName() throws Exception {
        Path file = GgufWriter.create().putString("general.architecture", "llama")
                .write(dir.resolve("My-Model.Q4_K_M.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelInfo info = gguf.modelInfo();
            assertThat(info.name()).isEqualTo("My-Model.Q4_K_M");
            assertThat(info.hasChatTemplate()).isFalse();
            assertThat(info.parameterCount()).isZero();
        }
    }
}
