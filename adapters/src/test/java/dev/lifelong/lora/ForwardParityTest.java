package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import de.kherud.llama.LlamaModel;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The trainer's forward pass against llama.cpp b4916 on tiny random models of each supported architecture. */
class ForwardParityTest {
    @org.junit.jupiter.api.BeforeAll
    static void torchThreads() {
        Reference.singleThreadedTorch();
    }

    @TempDir
    Path dir;

    static List<Variant> variants() {
        return List.of(Variant.LLAMA, Variant.qwen2(), Variant.LLAMA.tied(), Variant.qwen2().tied(),
                Variant.LLAMA.withRopeFreqs());
    }

    @ParameterizedTest
    @MethodSource("variants")
    void greedyTokensAndLogitGapsMatchLlamaCpp(Variant variant) {
        Path file = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), variant, dir.resolve("m.gguf"));
        try (LlamaModel cpp = Reference.load(file, null); TransformerModel model = TransformerModel.load(file)) {
            assertThat(model.config().architecture()).isEqualTo(variant.architecture());
            assertThat(model.config().tiedOutput()).isEqualTo(variant.tiedEmbeddings());
            assertThat(model.config().ropeStyle())
                    .isEqualTo(variant.architecture().equals("qwen2") ? RopeStyle.NEOX : RopeStyle.NORM);
            assertThat(model.config().ropeFreqFactors()).isEqualTo(variant.ropeFreqs()
                    ? Variant.ropeFreqFactors(model.config().headDim()) : null);
            assertMatches(cpp, model, null);
        }
    }

    /**
     * Greedy 32 tokens identical; and at the end of several prompts the same greedy token, the same runner-up and
     * the same logit gap between them (within 2e-3 + 1%; trained adapters have larger weights, so float32 summation order shows more) as llama.cpp, whose gap is measured by logit-bias bisection.
     */
    static void assertMatches(LlamaModel cpp, TransformerModel model, LoraWeights lora) {
        int[] prompt = cpp.encode(Reference.PROMPT);
        List<String> expected = Reference.llamaCpp(cpp, Reference.PROMPT, 32);
        List<Integer> ids = Reference.trainer(model, lora, prompt, 32, new ArrayList<>());
        List<String> texts = new ArrayList<>();
        for (int id : ids) {
            texts.add(cpp.decode(new int[] {id}));
        }
        assertThat(texts).as("greedy continuation").isEqualTo(expected);
        assertThat(ids).hasSizeGreaterThanOrEqualTo(16);
        for (String p : Reference.PROBE_PROMPTS) {
            Reference.Decision cppDecision = Reference.llamaCppDecision(cpp, p);
            Reference.Decision ours = Reference.trainerDecision(model, lora, cpp, p);
            assertThat(ours.top()).as("greedy token after '%s'", p).isEqualTo(cppDecision.top());
            assertThat(ours.runnerUp()).as("runner-up after '%s'", p).isEqualTo(cppDecision.runnerUp());
            assertThat(ours.gap()).as("logit gap after '%s'", p).isCloseTo(cppDecision.gap(), within(2e-3 + 1e-2 * cppDecision.gap()));
        }
    }

    /**
     * Rope frequency factors far from 1 (Llama 3.x's rope_freqs.weight): the trainer's final hidden state matches
     * llama.cpp's to float precision, while the same weights without the factors — the forward that ignores them —
     * are measurably off, so the match is a real test of applying them.
     */
    @org.junit.jupiter.api.Test
    void ropeFreqFactorsAreAppliedAsLlamaCppApplies() {
        // Wider than tiny(): with ±0.05 weights attention scores grow with the width, and so does what rope changes.
        Path file = RandomLlamaModel.write(AdapterParityTest.WIDE, Variant.LLAMA.withRopeFreqs(), dir.resolve("f.gguf"));
        Path without = RandomLlamaModel.write(AdapterParityTest.WIDE, Variant.LLAMA, dir.resolve("g.gguf"));
        String text = "The quick brown fox jumps over the lazy dog, then runs far away into the woods again. "
                + "It comes back at night, tired and hungry, and sleeps until the sun is high in the sky.";
        float[] cpp = Reference.llamaCppLastHidden(file, text);
        int[] tokens;
        try (LlamaModel tokenizer = Reference.load(file, null)) {
            tokens = tokenizer.encode(text);
        }
        assertThat(tokens.length).isGreaterThan(40); // long enough for the factors to turn the pairs apart
        try (TransformerModel with = TransformerModel.load(file); TransformerModel plain = TransformerModel.load(without)) {
            double applied = Reference.cosineDistance(with.hiddenAt(tokens, null, tokens.length - 1), cpp);
            double ignored = Reference.cosineDistance(plain.hiddenAt(tokens, null, tokens.length - 1), cpp);
            System.out.printf("rope_freqs parity: 1-cos applied %.3g, ignored %.3g%n", applied, ignored);
            assertThat(applied).as("factors applied").isLessThan(1e-8);
            assertThat(ignored).as("factors ignored").isGreaterThan(100 * Math.max(applied, 1e-9));
        }
    }
}
