package dev.lifelong.seedling.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import dev.lifelong.llama.LlamaNative;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A full 4096-token vocabulary from about ten megabytes, still identical to llama.cpp. */
@Tag("slow")
class BpeTrainerScaleTest {
    @TempDir
    Path dir;

    @Test
    void fillsTheDefaultVocabularyFromTenMegabytesAndStaysIdenticalToLlamaCpp() throws Exception {
        List<String> texts = new ArrayList<>();
        long bytes = 0;
        for (long seed = 1000; bytes < 10_000_000; seed++) {
            for (String s : seed % 2 == 0 ? BilingualSample.english(seed, 1000) : BilingualSample.chinese(seed, 1000)) {
                texts.add(s);
                bytes += s.getBytes(StandardCharsets.UTF_8).length;
            }
        }
        // Names, numbers and cities beyond the templates' lists, so the vocabulary has something left to learn.
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder word = new StringBuilder(" ");
            for (int k = 2 + r.nextInt(8); k > 0; k--) {
                word.append((char) ('a' + r.nextInt(26)));
            }
            texts.add("I met" + word + " and" + word + " in room " + r.nextInt(10_000) + ".");
        }
        long start = System.nanoTime();
        SeedlingVocab vocab = BpeTrainer.train(texts, BpeTrainer.DEFAULT_VOCAB_SIZE);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("trained %d tokens on %.1f MB (%d texts) in %.1f s%n", vocab.size(), bytes / 1e6,
                texts.size(), seconds);
        assertThat(vocab.size()).isEqualTo(BpeTrainer.DEFAULT_VOCAB_SIZE);

        SeedlingTokenizer tokenizer = vocab.tokenizer();
        start = System.nanoTime();
        long tokens = 0;
        for (String s : texts) {
            tokens += tokenizer.encode(s).length;
        }
        System.out.printf("encoded the %.1f MB into %d tokens in %.1f s%n", bytes / 1e6, tokens,
                (System.nanoTime() - start) / 1e9);
        System.out.printf("compression (chars/token, vocab 4096, held out): English %.2f, Chinese %.2f%n",
                charsPerToken(tokenizer, BilingualSample.english(3, 2000)),
                charsPerToken(tokenizer, BilingualSample.chinese(4, 2000)));
        Path file = SeedlingTestModel.write(vocab, dir.resolve("seedling-4096.gguf"));
        LlamaNative.prepare();
        try (LlamaModel model = new LlamaModel(new ModelParameters().setModel(file.toString()).setCtxSize(256)
                .setThreads(2).setGpuLayers(0))) {
            List<String> heldOut = new ArrayList<>(BilingualSample.english(1, 500));
            heldOut.addAll(BilingualSample.chinese(2, 500));
            int same = 0;
            for (String s : heldOut) {
                int[] ours = tokenizer.encode(s);
                assertThat(ours).as(s).isEqualTo(model.encode(s));
                assertThat(tokenizer.decode(ours)).isEqualTo(s);
                same++;
            }
            List<String> glued = SeedlingTokenizerTest.randomStrings(vocab, 11, 3000);
            for (String s : glued) {
                assertThat(tokenizer.encode(s)).as(s).isEqualTo(model.encode(s));
                same++;
            }
            System.out.println("tokenizer parity (vocab 4096): " + same + "/" + (heldOut.size() + glued.size())
                    + " identical (held-out sentences and random glued pieces)");
        }
    }

    private static double charsPerToken(SeedlingTokenizer tokenizer, List<String> texts) {
        long chars = 0;
        long tokens = 0;
        for (String s : texts) {
            chars += s.codePointCount(0, s.length());
            tokens += tokenizer.encode(s).length;
        }
        return (double) chars / tokens;
    }
}
