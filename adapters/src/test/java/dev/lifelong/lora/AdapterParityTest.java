package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.LlamaModel;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.RandomLlamaModel.Variant;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Trains an adapter that makes the tiny model answer a fixed text, writes it as GGUF, and checks that llama.cpp with
 * base + adapter answers the same and agrees with the trainer's forward — format, orientation and alpha/rank scale.
 */
class AdapterParityTest {
    static final int STEPS = 100;
    /**
     * Wider than {@code tiny()}: with ±0.05 weights the largest logit a hidden state can reach grows with the width
     * (about 0.029 · nEmbd), and at 64 it is too small (about 1.9) for a confident memorisation.
     */
    static final RandomLlamaModel.Spec WIDE = new RandomLlamaModel.Spec("tiny-wide-random", 95, 2, 256, 4, 2, 512,
            512, 42, dev.lifelong.gguf.GgmlType.F32);
    /** Every letter has one successor, so a few dozen steps learn it reliably. */
    static final String ANSWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    @TempDir
    Path dir;

    @Test
    void llama() throws Exception {
        llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant.LLAMA);
    }

    @Test
    @Tag("slow")
    void qwen2WithTiedEmbeddings() throws Exception {
        llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant.qwen2().tied());
    }

    void llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant variant) throws Exception {
        Path base = RandomLlamaModel.write(WIDE, variant, dir.resolve("base.gguf"));
        TrainingSequence memorise;
        List<String> baseAnswer;
        try (LlamaModel cpp = Reference.load(base, null)) {
            memorise = answerOnly(cpp, Reference.PROMPT, ANSWER + "<|im_end|>");
            baseAnswer = Reference.llamaCpp(cpp, Reference.PROMPT, 32);
        }
        assertThat(String.join("", baseAnswer)).doesNotStartWith(ANSWER.substring(0, 10));

        // rank 8, alpha 12: scale 1.5, so a writer or reader that ignored alpha or used another scale would disagree.
        LoraConfig lora = new LoraConfig(EnumSet.allOf(LoraTarget.class), 8, 12f, 0f, 7);
        TrainingConfig training = TrainingConfig.defaults().withLr(1e-2f).withWarmup(2).withEpochs(STEPS);
        Path adapter = dir.resolve("adapter.gguf");
        List<TrainingProgress> progress = new ArrayList<>();
        try (TransformerModel model = TransformerModel.load(base)) {
            LoraTrainer trainer = new LoraTrainer(model, lora, training, null);
            TrainingResult result = trainer.train(List.of(memorise), progress::add);
            assertThat(result.steps()).isEqualTo(STEPS);
            // The random model's output layer is small (±0.05), so even a perfect fit keeps a sizeable loss.
            assertThat(result.finalLoss()).as("loss decreases").isLessThan(0.7 * result.lossHistory().get(0));
            System.out.printf("%s: loss %.4f -> %.4f, %.0f tokens/s%n", variant, result.lossHistory().get(0),
                    result.finalLoss(), progress.get(progress.size() - 1).tokensPerSecond());
            GgufLoraWriter.write(adapter, model.config(), trainer.weights());

            try (LlamaModel cpp = Reference.load(base, adapter)) {
                assertThat(String.join("", Reference.llamaCpp(cpp, Reference.PROMPT, 64))).isEqualTo(ANSWER);
                ForwardParityTest.assertMatches(cpp, model, trainer.weights());
            }
        }
    }

    /** The prompt and answer as one sequence whose loss counts only the answer tokens. */
    static TrainingSequence answerOnly(LlamaModel tokenizer, String prompt, String answer) {
        int[] p = tokenizer.encode(prompt);
        int[] all = tokenizer.encode(prompt + answer);
        assertThat(java.util.Arrays.copyOf(all, p.length)).isEqualTo(p);
        float[] w = new float[all.length];
        java.util.Arrays.fill(w, p.length, all.length, 1f);
        return new TrainingSequence(all, w);
    }
}
