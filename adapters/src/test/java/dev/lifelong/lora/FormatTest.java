package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.TensorInfo;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metadata in, adapter metadata out, refusals by name. */
class FormatTest {
    @TempDir
    Path dir;

    @Test
    void configComesFromMetadata() {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), RandomLlamaModel.Variant.qwen2().tied(),
                dir.resolve("q.gguf"));
        try (GgufFile f = GgufReader.read(file)) {
            TransformerConfig c = TransformerConfig.from(f);
            assertThat(c).isEqualTo(new TransformerConfig("qwen2", 2, 64, 4, 2, 16, 128, 356, 1e-5f, 10000f,
                    RopeStyle.NEOX, true, true));
        }
    }

    @Test
    void unsupportedArchitectureIsRefusedByName() throws Exception {
        Path file = RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny()).putString("general.architecture", "phi3")
                .write(dir.resolve("phi.gguf"));
        try (GgufFile f = GgufReader.read(file)) {
            assertThatThrownBy(() -> TransformerConfig.from(f)).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("'phi3'").hasMessageContaining("llama");
        }
    }

    @Test
    void quantizedWeightsLoadOrAreRefusedByName() {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny().withWeightType(dev.lifelong.gguf.GgmlType.Q8_0),
                dir.resolve("q8.gguf"));
        // Q8_0 arrives with the quantization work; until then the trainer must say what it cannot read.
        try (TransformerModel m = TransformerModel.load(file)) {
            float[] logits = m.forward(new int[] {300, 301, 302}, null, false)[2];
            for (float l : logits) {
                assertThat(l).isFinite();
            }
        } catch (GgufFormatException e) {
            assertThat(e).hasMessageContaining("Q8_0");
        }
    }

    @Test
    void adapterFileHasLlamaCppsMetadataAndOrientation() throws Exception {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), RandomLlamaModel.Variant.LLAMA,
                dir.resolve("m.gguf"));
        TransformerConfig c;
        try (GgufFile f = GgufReader.read(file)) {
            c = TransformerConfig.from(f);
        }
        LoraWeights w = LoraWeights.initialize(c, LoraConfig.of(4, 1).withAlpha(6f));
        Path adapter = GgufLoraWriter.write(dir.resolve("a.gguf"), c, w);
        try (GgufFile a = GgufReader.read(adapter)) {
            assertThat(a.getString("general.type")).isEqualTo("adapter");
            assertThat(a.getString("adapter.type")).isEqualTo("lora");
            assertThat(a.getString("general.architecture")).isEqualTo("llama");
            assertThat(a.getFloat("adapter.lora.alpha")).isEqualTo(6f);
            TensorInfo down = a.tensor("blk.1.ffn_down.weight.lora_a").orElseThrow();
            assertThat(down.shape()).containsExactly(128, 4); // ne = [in, r]
            assertThat(a.tensor("blk.1.ffn_down.weight.lora_b").orElseThrow().shape()).containsExactly(4, 64);
            assertThat(a.tensor("blk.0.attn_k.weight.lora_b").orElseThrow().shape()).containsExactly(4, 32);
            int slot = w.indexOf(1, LoraTarget.DOWN);
            assertThat(dev.lifelong.gguf.Dequantizer.dequantize(a, down)).containsExactly(w.a(slot));
            assertThat(a.tensors()).hasSize(2 * 7 * 2);
        }
    }
}
