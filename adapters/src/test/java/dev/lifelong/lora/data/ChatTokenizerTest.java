package dev.lifelong.lora.data;

import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.lora.TrainingSequence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatTokenizerTest {
    private static final String ZWSP = "\u200B";

    @TempDir
    static Path dir;
    static ChatTokenizer tokenizer;

    @BeforeAll
    static void open() {
        tokenizer = ChatTokenizer.open(RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("tiny.gguf")));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    /** The texts of the runs of consecutive weighted tokens. */
    static List<String> weightedRuns(ChatTokenizer tok, TrainingSequence seq) {
        List<String> runs = new ArrayList<>();
        int[] t = seq.tokens();
        float[] w = seq.lossWeights();
        for (int i = 0; i < t.length; ) {
            if (w[i] == 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < t.length && w[j] != 0) j++;
            runs.add(tok.decode(Arrays.copyOfRange(t, i, j)));
            i = j;
        }
        return runs;
    }

    @Test
    void masksCoverExactlyTheAssistantContentAndItsEndOfTurn() {
        TrainingSequence seq = tokenizer.tokenize(new ChatExample(List.of(Turn.user("hi there"),
                Turn.assistant("Hello, how can I help?"))));
        assertThat(weightedRuns(tokenizer, seq)).containsExactly("Hello, how can I help?<|im_end|>");
        assertThat(seq.tokens()[seq.tokens().length - 1]).isEqualTo(RandomLlamaModel.IM_END_ID);
        assertThat(seq.lossWeights()[0]).isZero();
        // the sequence is the rendered conversation up to the end of the last assistant turn
        assertThat(tokenizer.decode(seq.tokens()))
                .isEqualTo("<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\nHello, how can I help?<|im_end|>");
    }

    @Test
    void multiTurnWithSystemMessageRendersAsServingAndMasksBothAnswers() {
        List<Turn> turns = List.of(Turn.system("Be brief."), Turn.user("q1"), Turn.assistant("a one"),
                Turn.user("q2"), Turn.assistant("a two"));
        // What the assistant's ChatPromptRenderer produces for these turns with this ChatML model (generation prompt
        // included, as serving always asks for it).
        String expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nq1<|im_end|>\n"
                + "<|im_start|>assistant\na one<|im_end|>\n<|im_start|>user\nq2<|im_end|>\n"
                + "<|im_start|>assistant\na two<|im_end|>\n<|im_start|>assistant\n";
        assertThat(tokenizer.render(turns)).isEqualTo(expected);
        // serving's prompt for the first question is a prefix of the training text
        assertThat(expected).startsWith(tokenizer.render(turns.subList(0, 2)));

        TrainingSequence seq = tokenizer.tokenize(new ChatExample(turns));
        assertThat(weightedRuns(tokenizer, seq)).containsExactly("a one<|im_end|>", "a two<|im_end|>");
        assertThat(tokenizer.decode(seq.tokens())).isEqualTo(expected.substring(0, expected.lastIndexOf("\n<|im_start|>")));
    }

    @Test
    void emojiAndChineseSurviveAndAreMaskedByByteSpans() {
        String answer = "你好，世界 🌍👍🏽 ok";
        TrainingSequence seq = tokenizer.tokenize(new ChatExample(List.of(Turn.user("说点什么 😀"),
                Turn.assistant(answer))));
        assertThat(weightedRuns(tokenizer, seq)).containsExactly(answer + "<|im_end|>");
        assertThat(tokenizer.render(List.of(Turn.user("说点什么 😀"), Turn.assistant(answer))))
                .contains("说点什么 😀", answer);
        // the tiny vocabulary has one token per ASCII byte and byte-fallback tokens for the rest, so every UTF-8
        // byte of the answer is one weighted token, plus <|im_end|>
        assertThat(countWeighted(seq)).isEqualTo(answer.getBytes(StandardCharsets.UTF_8).length + 1);
    }

    private static long countWeighted(TrainingSequence seq) {
        long c = 0;
        for (float f : seq.lossWeights()) if (f > 0) c++;
        return c;
    }

    @Test
    void specialTokensTypedInContentAreDefused() {
        TrainingSequence seq = tokenizer.tokenize(new ChatExample(List.of(Turn.user("stop<|im_end|>now"),
                Turn.assistant("x<|im_end|>y"))));
        long imEnds = Arrays.stream(seq.tokens()).filter(t -> t == RandomLlamaModel.IM_END_ID).count();
        assertThat(imEnds).as("only the template's own turn ends").isEqualTo(2);
        assertThat(weightedRuns(tokenizer, seq))
                .containsExactly("x<" + ZWSP + "|im_end|" + ZWSP + ">y<|im_end|>");
    }

    @Test
    void exampleWeightScalesTheLoss() {
        List<Turn> turns = List.of(Turn.user("u"), Turn.assistant("answer"));
        TrainingSequence one = tokenizer.tokenize(new ChatExample(turns, 1.0));
        TrainingSequence more = tokenizer.tokenize(new ChatExample(turns, 2.5));
        assertThat(more.tokens()).isEqualTo(one.tokens());
        for (int i = 0; i < one.tokens().length; i++) {
            assertThat(more.lossWeights()[i]).isEqualTo(one.lossWeights()[i] * 2.5f);
            assertThat(one.lossWeights()[i]).isIn(0f, 1f);
        }
        assertThat(countWeighted(one)).isEqualTo("answer".length() + 1);
    }

    @Test
    void truncationKeepsTheBeginningAndDropsExamplesWithNothingLeftToLearn() {
        ChatExample longQuestion = new ChatExample(List.of(Turn.user("q".repeat(300)), Turn.assistant("a")));
        ChatExample longAnswer = new ChatExample(List.of(Turn.user("q"), Turn.assistant("b".repeat(300))));
        ChatExample shortOne = new ChatExample(List.of(Turn.user("q"), Turn.assistant("c")));
        TokenizedDataset data = tokenizer.tokenize(List.of(longQuestion, longAnswer, shortOne), 100);

        assertThat(data.examples()).isEqualTo(3);
        assertThat(data.dropped()).singleElement().satisfies(d -> {
            assertThat(d.example()).isZero();
            assertThat(d.reason()).contains("first 100 tokens");
        });
        assertThat(data.sequences()).hasSize(2);
        assertThat(data.truncated()).isEqualTo(1);
        TrainingSequence cut = data.sequences().get(0);
        TrainingSequence full = tokenizer.tokenize(longAnswer);
        assertThat(cut.tokens()).hasSize(100).isEqualTo(Arrays.copyOf(full.tokens(), 100));
        assertThat(cut.lossWeights()).isEqualTo(Arrays.copyOf(full.lossWeights(), 100));
        TrainingSequence small = data.sequences().get(1);
        assertThat(data.tokens()).isEqualTo(100 + small.tokens().length);
        assertThat(data.lossTokens()).isEqualTo(countWeighted(cut) + countWeighted(small));
        assertThat(countWeighted(small)).isEqualTo(2);
    }

    @Test
    void sameFileGivesTheSameSequences(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("data.jsonl");
        Files.writeString(file, """
                {"messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi 👋"},{"role":"assistant","content":"hello"}]}
                {"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}],"weight":0.5}
                """);
        TokenizedDataset a = tokenizer.tokenize(ExampleReader.read(file), 256);
        TokenizedDataset b = tokenizer.tokenize(ExampleReader.read(file), 256);
        assertThat(a.sequences()).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(b.sequences().get(i).tokens()).isEqualTo(a.sequences().get(i).tokens());
            assertThat(b.sequences().get(i).lossWeights()).isEqualTo(a.sequences().get(i).lossWeights());
        }
        assertThat(weightedRuns(tokenizer, a.sequences().get(1))).containsExactly("4<|im_end|>");
        assertThat(a.sequences().get(1).lossWeights()).contains(0.5f);
    }

    @Test
    void trainingSequenceNeedsEqualLengths() {
        assertThatThrownBy(() -> new TrainingSequence(new int[3], new float[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sentencePieceSpacePrefixAndBosAreHandled(@TempDir Path tmp) throws IOException {
        // Like real SentencePiece models (Llama 2, Mistral): llama.cpp puts a space before text at the start and after
        // every special token, and serving prepends BOS.
        Path file = RandomLlamaModel.writer(RandomLlamaModel.Spec.tiny())
                .putBool("tokenizer.ggml.add_space_prefix", true)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .write(tmp.resolve("spm.gguf"));
        try (ChatTokenizer spm = ChatTokenizer.open(file)) {
            TrainingSequence seq = spm.tokenize(new ChatExample(List.of(Turn.user("hi"), Turn.assistant("yes 🌍"))));
            assertThat(seq.tokens()[0]).isEqualTo(RandomLlamaModel.BOS_ID);
            assertThat(seq.lossWeights()[0]).isZero();
            // the inserted space after <|im_start|> is there in the tokens, but outside the assistant's content
            assertThat(spm.decode(seq.tokens()))
                    .isEqualTo("<s><|im_start|> user\nhi<|im_end|> \n<|im_start|> assistant\nyes 🌍<|im_end|>");
            assertThat(weightedRuns(spm, seq)).containsExactly("yes 🌍<|im_end|>");
        }
    }

    @Test
    void literalSentencePieceSpaceMarkInContentStillAligns() {
        // llama.cpp turns "▁" (U+2581) in the text into its space token, whose piece is " ": the tokens are what
        // serving sees, and the mask still follows the content.
        TrainingSequence seq = tokenizer.tokenize(new ChatExample(List.of(Turn.user("a\u2581b"),
                Turn.assistant("c\u2581d"))));
        assertThat(weightedRuns(tokenizer, seq)).containsExactly("c d<|im_end|>");
    }

    @Test
    void emptyAnswerTeachesOnlyTheStopAndEmptySystemIsLeftOutAsServingDoes() {
        List<Turn> turns = List.of(Turn.system(""), Turn.user("u"), Turn.assistant(""));
        assertThat(tokenizer.render(turns))
                .isEqualTo("<|im_start|>user\nu<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n<|im_start|>assistant\n");
        assertThat(weightedRuns(tokenizer, tokenizer.tokenize(new ChatExample(turns)))).containsExactly("<|im_end|>");
    }
}
