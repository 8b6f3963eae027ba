package dev.lifelong.assistant.portable;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.LoraMerger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The adapter merged into the base weights gives, in llama.cpp, the greedy output of base + adapter (F16: exactly, on
 * every prompt). Q8_0 is checked weight by weight against the F16 merge (each within its block's 8-bit step) and loads
 * and answers in llama.cpp; its greedy text is not compared, because the random tiny model's logits are nearly flat and
 * 8-bit rounding alone (measured here: 0, 5 and 21 of 24 characters the same) flips near-ties.
 */
class MergedModelTest {
    @TempDir Path dir;
    static final GenerationOptions GREEDY = new GenerationOptions(24, 0f, 1f, 1, List.of());
    static final List<List<ChatTurn>> PROMPTS = List.of(List.of(ChatTurn.user("Hello there")),
            List.of(ChatTurn.user("What is the capital of France?")), List.of(ChatTurn.user("Tell me a story about a fox")));

    @Test
    void mergedF16AndQ8AnswerLikeBasePlusAdapter() throws Exception {
        Path adapter = dev.lifelong.assistant.runtime.PerRequestAdapterTestAccess.randomAdapter(dir.resolve("a.gguf"), 3);
        Path f16 = LoraMerger.merge(TestModels.tiny(), adapter, GgmlType.F16, dir.resolve("merged-f16.gguf"));
        Path q8 = LoraMerger.merge(TestModels.tiny(), adapter, GgmlType.Q8_0, dir.resolve("merged-q8_0.gguf"));
        try (var g = GgufReader.read(q8)) {
            assertThat(g.tensor("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(GgmlType.Q8_0);
            assertThat(g.tensor("blk.0.attn_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
            assertThat(g.findString("tokenizer.chat_template")).isPresent();
        }
        assertThat(Files.size(q8)).isLessThan(Files.size(f16));
        RuntimeOptions one = new RuntimeOptions(2, 0, 512, 1);
        try (LlamaRuntime withAdapter = LlamaRuntime.load(TestModels.tiny(), one, List.of(adapter));
             LlamaRuntime mergedF16 = LlamaRuntime.load(f16, one);
             LlamaRuntime mergedQ8 = LlamaRuntime.load(q8, one)) {
            for (List<ChatTurn> prompt : PROMPTS) {
                String reference = withAdapter.generate(prompt, GREEDY, 0, s -> { }, new Cancellation()).text();
                String base = withAdapter.generate(prompt, GREEDY, LlamaRuntime.BASE, s -> { }, new Cancellation()).text();
                assertThat(reference).as("the adapter changes the answer").isNotEqualTo(base);
                assertThat(mergedF16.generate(prompt, GREEDY, s -> { }, new Cancellation()).text()).isEqualTo(reference);
                assertThat(mergedQ8.generate(prompt, GREEDY, s -> { }, new Cancellation()).text()).isNotEmpty();
            }
        }
        try (var a = GgufReader.read(f16); var b = GgufReader.read(q8)) {
            for (var t : a.tensors()) {
                if (t.shape().length != 2) continue;
                float[] exact = dev.lifelong.gguf.Dequantizer.dequantize(a, t);
                float[] eight = dev.lifelong.gguf.Dequantizer.dequantize(b, b.tensor(t.name()).orElseThrow());
                for (int block = 0; block < exact.length; block += 32) {
                    float max = 0;
                    for (int i = block; i < block + 32; i++) max = Math.max(max, Math.abs(exact[i]));
                    for (int i = block; i < block + 32; i++) {
                        assertThat((double) Math.abs(eight[i] - exact[i])).as(t.name() + "[" + i + "]").isLessThanOrEqualTo(max / 127.0 * 0.51 + 1e-3 * max + 1e-6);
                    }
                }
            }
        }
    }
}
