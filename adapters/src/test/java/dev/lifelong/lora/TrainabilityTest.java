package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Anything in a model that would make llama.cpp compute something the trainer does not is refused, with a reason. */
class TrainabilityTest {
    @TempDir
    Path dir;

    private Trainability check(Variant variant, UnaryOperator<GgufWriter> change) throws Exception {
        Path file = change.apply(RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny(), variant))
                .write(dir.resolve("m" + System.nanoTime() + ".gguf"));
        try (GgufFile gguf = GgufReader.read(file)) {
            return Trainability.of(gguf);
        }
    }

    @Test
    void plainLlamaAndQwen2ModelsTrain() throws Exception {
        assertThat(check(Variant.LLAMA, w -> w).trainable()).isTrue();
        assertThat(check(Variant.qwen2().tied(), w -> w).trainable()).isTrue();
        assertThat(check(Variant.LLAMA.withRopeFreqs(), w -> w).trainable()).isTrue();
        assertThat(check(Variant.LLAMA, w -> w.putString("llama.rope.scaling.type", "none")
                .putUInt32("llama.context_length", 4096)).trainable()).isTrue();
    }

    @Test
    void forwardChangesTheTrainerDoesNotModelAreRefusedWithTheirReason() throws Exception {
        assertThat(check(Variant.LLAMA, w -> w.putString("llama.rope.scaling.type", "yarn")
                .putFloat32("llama.rope.scaling.factor", 4f)).reason()).contains("rope scaling");
        // llama.cpp applies a factor even without a type (as linear scaling)
        assertThat(check(Variant.qwen2(), w -> w.putFloat32("qwen2.rope.scaling.factor", 2f)).reason())
                .contains("rope scaling ('linear', factor 2.0)");
        assertThat(check(Variant.LLAMA, w -> w.putUInt32("llama.expert_count", 8)).reason()).contains("mixture-of-experts");
        assertThat(check(Variant.LLAMA, w -> w.putUInt32("llama.rope.dimension_count", 8)).reason())
                .contains("partial rotary");
        assertThat(check(Variant.LLAMA, w -> w.putUInt32("llama.attention.sliding_window", 4096)).reason())
                .contains("llama.attention.sliding_window");
        assertThat(check(Variant.LLAMA, w -> w.putFloat32("llama.attn_logit_softcapping", 50f)).reason())
                .contains("softcapping");
        assertThat(check(Variant.LLAMA, w -> w.putBool("llama.attention.causal", false)).reason()).contains("non-causal");
        assertThat(check(Variant.LLAMA, w -> w.addTensor("blk.0.attn_q_norm.weight", new long[] {16}, GgmlType.F32,
                new float[16])).reason()).contains("'blk.0.attn_q_norm.weight' is not part of the forward pass");
        // qwen2 in b4916 has no rope factors
        assertThat(check(Variant.qwen2(), w -> w.addTensor("rope_freqs.weight", new long[] {8}, GgmlType.F32,
                new float[8])).reason()).contains("rope_freqs.weight");
        assertThat(check(Variant.LLAMA, w -> w.addTensor("blk.1.ffn_gate_inp.weight", new long[] {64, 4}, GgmlType.IQ4_NL,
                new byte[4 * 2 * 18])).trainable()).isFalse();
    }

    @Test
    void otherArchitecturesChatButAreNotTrained() throws Exception {
        Trainability gemma = check(Variant.LLAMA, w -> w.putString("general.architecture", "gemma2"));
        assertThat(gemma.trainable()).isFalse();
        assertThat(gemma.summary()).isEqualTo("chats; cannot be trained by Lifelong: the 'gemma2' architecture is not "
                + "implemented by the trainer (it trains llama and qwen2 models: Llama, SmolLM, TinyLlama, Mistral, "
                + "Qwen2/2.5)");
    }

    @Test
    void loadingAnUntrainableModelForTrainingFailsWithTheReason() throws Exception {
        Path file = RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny()).putFloat32("llama.rope.scaling.factor", 8f)
                .write(dir.resolve("scaled.gguf"));
        assertThatThrownBy(() -> TransformerModel.load(file)).isInstanceOf(GgufFormatException.class)
                .hasMessageContaining("chats but cannot be trained by Lifelong: rope scaling");
    }
}
