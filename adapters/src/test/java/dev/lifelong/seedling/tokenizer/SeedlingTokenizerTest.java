package dev.lifelong.seedling.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.llama.LlamaNative;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our tokenizer against the real llama.cpp b4916 of java-llama.cpp 4.2.0, on text it was not trained on. */
class SeedlingTokenizerTest {
    @TempDir
    static Path dir;
    static SeedlingVocab vocab;
    static SeedlingTokenizer tokenizer;
    static LlamaModel model;
    static Path modelFile;

    static List<String> training() {
        List<String> texts = new ArrayList<>(BilingualSample.english(1, 120));
        texts.addAll(BilingualSample.chinese(2, 100));
        return texts;
    }

    static List<String> heldOut() {
        List<String> texts = new ArrayList<>(BilingualSample.english(101, 60));
        texts.addAll(BilingualSample.chinese(102, 60));
        texts.addAll(List.of(
                "", " ", "  ", "\n", "a", "Hello world", " leading space", "trailing space ", "double  space",
                "tabs\tand\r\nCRLF", "x<|im_end|>y", "<|im_end|><|im_start|>", "<|im_start|>system\nYou are kind.<|im_end|>\n",
                "literal <s> and </s> and <unk> inside", "<0x41> is not A", "<|im_end", "|im_end|>", "<<|im_end|>>",
                "Zürich, Ærøskøbing, naïve café", "Здравствуйте, мир", "emoji 🌱🌱 family 👨‍👩‍👧 flag 🇩🇪",
                "生僻字：龘靐齉爩", "混合 English 和中文 123 mixed", "１２３ full-width ＡＢＣ", "1234567890 3.14159 -42",
                "!!!???...,,,;;;", "email: lea@example.com, url: https://x.y/z?q=1",
                "很高兴认识你，Lea！", "Known about the user: lives in Oslo.\n\n\nQuestion?", "   indented\n    more",
                "{\"facts\": []}", "It's 5 o'clock; don't you think?"));
        return texts;
    }

    @BeforeAll
    static void setUp() throws Exception {
        vocab = BpeTrainer.train(training(), 1024);
        tokenizer = vocab.tokenizer();
        modelFile = SeedlingTestModel.write(vocab, dir.resolve("seedling-tok.gguf"));
        LlamaNative.prepare();
        model = new LlamaModel(new ModelParameters().setModel(modelFile.toString()).setCtxSize(256).setThreads(2)
                .setGpuLayers(0));
    }

    @AfterAll
    static void tearDown() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void encodesEveryHeldOutStringExactlyAsLlamaCpp() {
        List<String> texts = heldOut();
        List<String> mismatches = new ArrayList<>();
        for (String s : texts) {
            int[] ours = tokenizer.encode(s);
            int[] theirs = model.encode(s);
            if (!Arrays.equals(ours, theirs)) {
                mismatches.add(s + "\n  ours:   " + Arrays.toString(ours) + "\n  llama:  " + Arrays.toString(theirs));
            }
        }
        System.out.println("tokenizer parity: " + (texts.size() - mismatches.size()) + "/" + texts.size()
                + " held-out strings identical to llama.cpp (vocab " + vocab.size() + ")");
        assertThat(mismatches).isEmpty();
    }

    /** Strings glued from random vocabulary pieces, characters and special texts: they stress the merge order. */
    static List<String> randomStrings(SeedlingVocab vocab, long seed, int n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        String[] extras = {" ", "  ", "\n", "\t", "<|im_end|>", "<|im_start|>", "<s>", "<0x41>", "é", "😊", "龘", "\u00A0",
            "<", "|", ">", "0", "x"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + r.nextInt(12);
            for (int p = 0; p < parts; p++) {
                if (r.nextInt(4) == 0) {
                    sb.append(extras[r.nextInt(extras.length)]);
                } else {
                    int id = SeedlingVocab.FIRST_NORMAL_ID + r.nextInt(vocab.size() - SeedlingVocab.FIRST_NORMAL_ID);
                    sb.append(vocab.token(id).replace(SeedlingVocab.SPACE, ' '));
                }
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void encodesRandomGluedPiecesExactlyAsLlamaCpp() {
        List<String> texts = randomStrings(vocab, 7, 2000);
        int same = 0;
        String firstMismatch = null;
        for (String s : texts) {
            int[] ours = tokenizer.encode(s);
            int[] theirs = model.encode(s);
            if (Arrays.equals(ours, theirs)) {
                same++;
            } else if (firstMismatch == null) {
                firstMismatch = s + "\n  ours:  " + Arrays.toString(ours) + "\n  llama: " + Arrays.toString(theirs);
            }
            assertThat(tokenizer.decode(ours)).isEqualTo(model.decode(theirs));
        }
        System.out.println("tokenizer parity: " + same + "/" + texts.size() + " random glued strings identical");
        assertThat(firstMismatch).isNull();
    }

    @Test
    void decodingGivesTheTextBackOursAndLlamaCpps() {
        for (String s : heldOut()) {
            int[] ids = tokenizer.encode(s);
            assertThat(tokenizer.decode(ids)).as("ours: %s", s).isEqualTo(s);
            assertThat(model.decode(ids)).as("llama.cpp: %s", s).isEqualTo(s);
        }
    }

    @Test
    void aLiteralSpaceMarkDecodesAsASpaceInBothLikeEverySpmVocabulary() {
        // The one text that does not round-trip: U+2581 is how the vocabulary writes a space.
        String s = "\u2581 a literal lower-eighth block";
        int[] ids = tokenizer.encode(s);
        assertThat(ids).isEqualTo(model.encode(s));
        assertThat(tokenizer.decode(ids)).isEqualTo("  a literal lower-eighth block").isEqualTo(model.decode(ids));
    }

    @Test
    void llamaCppAppliesChatMlAndThePromptTokenizesTheSame() {
        // BMP text only: 4.2.0's applyTemplate returns through JNI NewStringUTF, which mangles emoji such as 🌱.
        String prompt = model.applyTemplate(new InferenceParameters("").setMessages("Known about the user: lives in Oslo.",
                List.of(new Pair<>("user", "你好！Where do I live? ☕"))));
        assertThat(prompt).isEqualTo("<|im_start|>system\nKnown about the user: lives in Oslo.<|im_end|>\n"
                + "<|im_start|>user\n你好！Where do I live? ☕<|im_end|>\n<|im_start|>assistant\n");
        int[] ids = tokenizer.encode(prompt);
        assertThat(ids).isEqualTo(model.encode(prompt));
        assertThat(Arrays.stream(ids).filter(id -> id == SeedlingVocab.IM_START_ID).count()).isEqualTo(3);
    }

    @Test
    void imEndInTextIsTheSingleControlToken() {
        assertThat(tokenizer.encode("<|im_end|>")).containsExactly(SeedlingVocab.IM_END_ID);
        int[] ids = tokenizer.encode("好的<|im_end|>\n");
        assertThat(ids).contains(SeedlingVocab.IM_END_ID);
        assertThat(Arrays.stream(ids).filter(id -> id == SeedlingVocab.IM_END_ID).count()).isEqualTo(1);
        assertThat(vocab.type(SeedlingVocab.IM_END_ID)).isEqualTo(SeedlingVocab.TYPE_CONTROL);
    }

    @Test
    void learnsWholeWordsOfBothLanguages() {
        assertThat(vocab.tokens()).contains("\u2581the", "\u2581live", "我", "喜欢");
        assertThat(tokenizer.encode(" Berlin")).hasSize(1);
        assertThat(tokenizer.encode("上海")).hasSize(1);
    }

    @Test
    void readsTheVocabularyBackFromTheGguf() throws Exception {
        try (GgufFile file = GgufReader.read(modelFile)) {
            assertThat(SeedlingVocab.readFrom(file)).isEqualTo(vocab);
            assertThat(file.getString("tokenizer.chat_template")).isEqualTo(RandomLlamaModel.CHATML_TEMPLATE);
            assertThat(file.getLong("tokenizer.ggml.eos_token_id")).isEqualTo(SeedlingVocab.IM_END_ID);
        }
        Path gpt2 = RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny()).putString("tokenizer.ggml.model", "gpt2")
                .write(dir.resolve("gpt2.gguf"));
        try (GgufFile file = GgufReader.read(gpt2)) {
            assertThatThrownBy(() -> SeedlingVocab.readFrom(file)).isInstanceOf(GgufFormatException.class)
                    .hasMessageContaining("gpt2");
        }
    }

    @Test
    void trainingIsDeterministic() {
        assertThat(BpeTrainer.train(training(), 1024)).isEqualTo(vocab);
    }

    @Test
    void reportsCompression() {
        double en = charsPerToken(BilingualSample.english(201, 200));
        double zh = charsPerToken(BilingualSample.chinese(202, 200));
        System.out.printf("compression (chars/token, vocab %d): English %.2f, Chinese %.2f%n", vocab.size(), en, zh);
        assertThat(en).isGreaterThan(2.0);
        assertThat(zh).isGreaterThan(1.0);
    }

    private static double charsPerToken(List<String> texts) {
        long chars = 0;
        long tokens = 0;
        for (String s : texts) {
            chars += s.codePointCount(0, s.length());
            tokens += tokenizer.encode(s).length;
        }
        return (double) chars / tokens;
    }
}
