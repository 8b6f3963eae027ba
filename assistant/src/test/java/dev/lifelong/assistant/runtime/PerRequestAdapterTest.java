package dev.lifelong.assistant.runtime;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The serving check of the LoRA issue: a request switches its instance's adapter on or off through llama.cpp's
 * {@code lora} request field, and each user's instance over the same base file gives exactly what llama.cpp gives
 * with that adapter applied at load. (java-llama.cpp 4.2.0 takes only one {@code --lora} per instance.)
 */
class PerRequestAdapterTest {
    @TempDir Path dir;

    /** A random rank-4 adapter on every attention projection of the tiny model (width 64, 2 layers). */
    static Path randomAdapter(Path file, long seed) throws Exception {
        SplittableRandom rnd = new SplittableRandom(seed);
        int width = 64, kv = 32, rank = 4;
        GgufWriter w = GgufWriter.create().putString("general.architecture", "llama").putString("general.type", "adapter")
                .putString("adapter.type", "lora").putFloat32("adapter.lora.alpha", 8f);
        for (int layer = 0; layer < 2; layer++) {
            for (String t : List.of("attn_q", "attn_k", "attn_v", "attn_output")) {
                int out = t.equals("attn_k") || t.equals("attn_v") ? kv : width;
                String name = "blk." + layer + "." + t + ".weight";
                w.addTensor(name + ".lora_a", new long[]{width, rank}, GgmlType.F32, random(rnd, width * rank, 0.5));
                w.addTensor(name + ".lora_b", new long[]{rank, out}, GgmlType.F32, random(rnd, rank * out, 0.5));
            }
        }
        return w.write(file);
    }

    static float[] random(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        return v;
    }

    static final GenerationOptions GREEDY = new GenerationOptions(24, 0f, 1f, 1, List.of());
    static final List<ChatTurn> HELLO = List.of(ChatTurn.user("Hello there"));

    @Test
    void adaptersSwitchPerRequestAndUsersShareTheBaseFile() throws Exception {
        Path a = randomAdapter(dir.resolve("a.gguf"), 1);
        Path b = randomAdapter(dir.resolve("b.gguf"), 2);
        String base;
        try (LlamaRuntime plain = LlamaRuntime.load(TestModels.tiny(), new RuntimeOptions(2, 0, 512, 1))) {
            base = plain.generate(HELLO, GREEDY, s -> { }, new Cancellation()).text();
        }
        String aAlone = withAdapterAtLoad(a);
        String bAlone = withAdapterAtLoad(b);
        assertThat(aAlone).isNotEqualTo(base);
        assertThat(bAlone).isNotEqualTo(base).isNotEqualTo(aAlone);

        RuntimeOptions two = new RuntimeOptions(2, 0, 512, 2);
        try (LlamaRuntime userA = LlamaRuntime.load(TestModels.tiny(), two, List.of(a));
             LlamaRuntime userB = LlamaRuntime.load(TestModels.tiny(), two, List.of(b))) {
            for (int round = 0; round < 2; round++) {
                assertThat(userA.generate(HELLO, GREEDY, LlamaRuntime.BASE, s -> { }, new Cancellation()).text()).isEqualTo(base);
                assertThat(userA.generate(HELLO, GREEDY, 0, s -> { }, new Cancellation()).text()).isEqualTo(aAlone);
                assertThat(userB.generate(HELLO, GREEDY, 0, s -> { }, new Cancellation()).text()).isEqualTo(bAlone);
            }
            // two users at the same time, each on their own instance over the same base file; base and adapter
            // requests at the same time on one instance
            var fa = CompletableFuture.supplyAsync(() -> userA.generate(HELLO, GREEDY, 0, s -> { }, new Cancellation()).text());
            var fb = CompletableFuture.supplyAsync(() -> userB.generate(HELLO, GREEDY, 0, s -> { }, new Cancellation()).text());
            var fBase = CompletableFuture.supplyAsync(() -> userA.generate(HELLO, GREEDY, LlamaRuntime.BASE, s -> { }, new Cancellation()).text());
            assertThat(fa.get()).isEqualTo(aAlone);
            assertThat(fb.get()).isEqualTo(bAlone);
            assertThat(fBase.get()).isEqualTo(base);
            assertThatThrownBy(() -> userA.generate(HELLO, GREEDY, 1, s -> { }, new Cancellation())).hasMessageContaining("no adapter 1");
        }
        assertThatThrownBy(() -> LlamaRuntime.load(TestModels.tiny(), two, List.of(a, b))).hasMessageContaining("one LoRA adapter per model instance");
    }

    /** Reference: the adapter applied at load time by llama.cpp itself, rendered with the same template. */
    static String withAdapterAtLoad(Path adapter) {
        try (LlamaModel m = new LlamaModel(new ModelParameters().setModel(TestModels.tiny().toString()).setCtxSize(512)
                .setThreads(2).setParallel(1).enableJinja().addLoraAdapter(adapter.toString()))) {
            String prompt = "<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n";
            return m.complete(new InferenceParameters(prompt).setNPredict(24).setTemperature(0).setSeed(1));
        }
    }
}
