package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Other weight types and the benchmark shapes load in the real llama.cpp. */
class RandomModelShapesTest {
    @TempDir
    Path dir;

    static String generate(Path file, int n) {
        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(128)
                .setThreads(2).setGpuLayers(0))) {
            StringBuilder text = new StringBuilder();
            int pieces = 0;
            for (LlamaOutput out : model.generate(new InferenceParameters("<|im_start|>user\nHi<|im_end|>\n")
                    .setNPredict(n).setTemperature(0))) {
                if (!out.text.isEmpty()) {
                    pieces++;
                    text.append(out.text);
                }
            }
            assertThat(pieces).isEqualTo(n);
            return text.toString();
        }
    }

    @Test
    void f16AndQ8_0TinyModelsGenerate() {
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.Q8_0}) {
            Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny().withWeightType(type),
                    dir.resolve(type + ".gguf"));
            assertThat(generate(file, 4)).as(type.name()).isNotBlank();
        }
    }

    /** What ModelCompatibility refuses, llama.cpp refuses too, but only with an opaque message. */
    @Test
    void llamaCppAlsoRefusesANewerArchitecture() throws Exception {
        Path file = RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny()).putString("general.architecture", "qwen3")
                .write(dir.resolve("qwen3.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            assertThatThrownBy(() -> ModelCompatibility.check(gguf)).hasMessageContaining("'qwen3' is newer");
        }
        assertThatThrownBy(() -> new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(64)
                .setThreads(2).setGpuLayers(0))).isInstanceOf(RuntimeException.class) // LlamaException is package-private
                .hasMessage("could not load model from given file path");
    }

    @Test
    @Tag("slow")
    void smollm2ShapedModelLoadsAndGenerates() {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.smollm2_360m(), dir.resolve("smollm2-360m.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelCompatibility.check(gguf);
            assertThat(gguf.modelInfo().vocabSize()).isEqualTo(49152);
            assertThat(gguf.modelInfo().parameterCount()).isBetween(350_000_000L, 420_000_000L);
        }
        assertThat(generate(file, 2)).isNotBlank();
    }

    @Test
    @Tag("slow")
    void qwen25HalfShapedModelLoadsAndGenerates() {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.qwen25Half(), dir.resolve("qwen2.5-0.5b.gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            ModelInfo info = gguf.modelInfo();
            assertThat(info.vocabSize()).isEqualTo(151936);
            assertThat(info.blockCount()).isEqualTo(24);
            assertThat(info.headCountKv()).isEqualTo(2);
            assertThat(info.fileTypeLabel()).isEqualTo("F16");
        }
        assertThat(generate(file, 2)).isNotBlank();
    }
}
