package dev.lifelong.seedling.training;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.LlamaModel;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.RandomLlamaModel;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A freshly initialised FullModel, exported as F32 GGUF, continues greedily in llama.cpp exactly as our forward does. */
class ForwardParityTest {
    @TempDir
    Path dir;

    /** Our greedy continuation choosing among normal tokens only (ids from {@link RandomLlamaModel#BASE_VOCAB}). */
    static int[] greedyNormal(FullModel model, int[] prompt, int n) {
        int[] seq = java.util.Arrays.copyOf(prompt, prompt.length + n);
        for (int k = 0; k < n; k++) {
            int len = prompt.length + k;
            float[] last = model.logits(java.util.Arrays.copyOf(seq, len))[len - 1];
            int best = RandomLlamaModel.BASE_VOCAB;
            for (int i = best + 1; i < last.length; i++) {
                if (last[i] > last[best]) {
                    best = i;
                }
            }
            seq[len] = best;
        }
        return java.util.Arrays.copyOfRange(seq, prompt.length, seq.length);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void greedyContinuationMatchesLlamaCpp(boolean tied) throws Exception {
        FullModel.computeThreads(1);
        SeedlingModelConfig c = Seedlings.tiny(tied);
        FullModel model = FullModel.initialize(c, 11);
        // Scale up the init so logits are far apart: ties at normal(0, 0.02) would test float noise, not the math.
        for (FullModel.Tensor t : model.tensors()) {
            if (t.isMatrix()) {
                float[] v = model.values(t.name());
                for (int i = 0; i < v.length; i++) {
                    v[i] *= 5;
                }
            }
        }
        Path file = GgufModelExport.write(dir.resolve("m.gguf"), model, GgmlType.F32, "parity",
                SeedlingTrainMain.tokenizerOf(Seedlings.vocabularyFile(dir), c.vocabSize()));
        for (String prompt : new String[] {"Hello world, this is a test",
                "<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n"}) {
            try (LlamaModel cpp = Seedlings.llama(file)) {
                int[] ids = cpp.encode(prompt);
                // Both sides choose among normal tokens only: a lone byte token's text is incomplete UTF-8, which
                // llama.cpp's stream holds back, and an end-of-generation token would end the comparison early.
                java.util.Map<Integer, Float> bias = new java.util.HashMap<>();
                for (int id = 0; id < RandomLlamaModel.BASE_VOCAB; id++) {
                    bias.put(id, -1e4f);
                }
                String expected = Seedlings.llamaGreedy(cpp, prompt, 24, bias);
                int[] ours = greedyNormal(model, ids, 24);
                String text = cpp.decode(ours);
                assertThat(text).as("greedy continuation of '%s' (tied %s)", prompt, tied).isEqualTo(expected);
                assertThat(text.length()).isGreaterThanOrEqualTo(8);
            }
        }
    }
}
