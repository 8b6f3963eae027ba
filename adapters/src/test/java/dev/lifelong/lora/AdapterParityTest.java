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
    /**
     * Wider than {@code tiny()}: with ±0.05 weights the largest logit a hidden state can reach grows with the width
     * (about 0.029 · nEmbd), and at 64 it is too small (about 1.9) for a confident memorisation.
     */
    static final RandomLlamaModel.Spec WIDE = new RandomLlamaModel.Spec("tiny-wide-random", 95, 2, 256, 4, 2, 512,
            512, 42, dev.lifelong.gguf.GgmlType.F32);
    /** Every letter has one successor, so a few dozen steps learn it reliably. */
    static final String ANSWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    @org.junit.jupiter.api.BeforeAll
    static void torchThreads() {
        Reference.singleThreadedTorch();
    }

    @TempDir
    Path dir;

    @Test
    void llama() throws Exception {
        llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant.LLAMA, 100);
    }

    @Test
    @Tag("slow")
    void qwen2WithTiedEmbeddings() throws Exception {
        // Tied embeddings leave the output layer no freedom of its own, so memorising takes longer.
        llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant.qwen2().tied(), 200);
    }

    void llamaCppWithTheWrittenAdapterReproducesTheTrainedText(Variant variant, int steps) throws Exception {
        Path base = RandomLlamaModel.write(WIDE, variant, dir.resolve("base.gguf"));
        TrainingSequence memorise;
        List<String> baseAnswer;
        try (LlamaModel cpp = Reference.load(base, null)) {
            memorise = answerOnly(cpp, Reference.PROMPT, ANSWER + "<|im_end|>");
            baseAnswer = Reference.llamaCpp(cpp, Reference.PROMPT, 32);
        }
        assertThat(String.join("", baseAnswer)).doesNotStartWith(ANSWER.substring(0, 10));

        // rank 8, alpha 12: scale 1.5, so a writer or reader that ignored alpha or used another scale would disagree.
        Path adapter = dir.resolve("adapter.gguf");
        String[] result = trainInOwnProcess(base, adapter, steps, 8, 12f, 1e-2f, memorise);
        double first = Double.parseDouble(result[1]);
        double last = Double.parseDouble(result[2]);
        assertThat(Integer.parseInt(result[4])).isEqualTo(steps);
        // The random model's output layer is small (±0.05), so even a perfect fit keeps a sizeable loss.
        assertThat(last).as("loss decreases").isLessThan(0.7 * first);
        System.out.printf("%s: loss %.4f -> %.4f, %s tokens/s%n", variant, first, last, result[3]);
        try (TransformerModel model = TransformerModel.load(base)) {
            LoraWeights trained = LoraWeights.zeros(model.config(),
                    new LoraConfig(EnumSet.allOf(LoraTarget.class), 8, 12f, 0f, 7));
            readAdapter(adapter, trained);
            try (LlamaModel cpp = Reference.load(base, adapter)) {
                assertThat(String.join("", Reference.llamaCpp(cpp, Reference.PROMPT, 64))).isEqualTo(ANSWER);
                ForwardParityTest.assertMatches(cpp, model, trained);
            }
        }
    }

    static String[] trainInOwnProcess(Path base, Path adapter, int steps, int rank, float alpha, float lr,
            TrainingSequence seq) throws Exception {
        StringBuilder tokens = new StringBuilder();
        StringBuilder weights = new StringBuilder();
        for (int i = 0; i < seq.tokens().length; i++) {
            tokens.append(i == 0 ? "" : ",").append(seq.tokens()[i]);
            weights.append(i == 0 ? "" : ",").append(seq.lossWeights()[i]);
        }
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), TrainAdapterMain.class.getName(), base.toString(),
                adapter.toString(), String.valueOf(steps), String.valueOf(rank), String.valueOf(alpha),
                String.valueOf(lr), tokens.toString(), weights.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
        return line.split(" ");
    }

    /** Reads the adapter back (through the GGUF reader) into {@code into}: what llama.cpp sees, the trainer sees. */
    static void readAdapter(Path adapter, LoraWeights into) {
        try (dev.lifelong.gguf.GgufFile f = dev.lifelong.gguf.GgufReader.read(adapter)) {
            for (int i = 0; i < into.slots().size(); i++) {
                String name = into.slots().get(i).baseTensor();
                float[] a = dev.lifelong.gguf.Dequantizer.dequantize(f, f.tensor(name + ".lora_a").orElseThrow());
                float[] b = dev.lifelong.gguf.Dequantizer.dequantize(f, f.tensor(name + ".lora_b").orElseThrow());
                System.arraycopy(a, 0, into.a(i), 0, a.length);
                System.arraycopy(b, 0, into.b(i), 0, b.length);
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
