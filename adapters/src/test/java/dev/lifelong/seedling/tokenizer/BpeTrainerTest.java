package dev.lifelong.seedling.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The trainer and tokenizer on their own, without llama.cpp. */
class BpeTrainerTest {
    @Test
    void emptyInputGivesOnlySpecialByteAndSpaceTokensAndStillEncodesAnything() {
        SeedlingVocab vocab = BpeTrainer.train(List.of(), 4096);
        assertThat(vocab.size()).isEqualTo(SeedlingVocab.FIRST_NORMAL_ID + 1);
        assertThat(vocab.token(SeedlingVocab.FIRST_NORMAL_ID)).isEqualTo("\u2581");
        SeedlingTokenizer t = vocab.tokenizer();
        assertThat(t.encode("A")).containsExactly(SeedlingVocab.FIRST_BYTE_ID + 'A');
        assertThat(t.decode(t.encode("é 🌱<|im_end|>"))).isEqualTo("é 🌱<|im_end|>");
    }

    @Test
    void stopsAtTheRequestedSizeAndNeverLearnsSpecialTexts() {
        List<String> texts = List.of("<|im_start|>user\nhello hello hello<|im_end|>", "hello there there");
        SeedlingVocab vocab = BpeTrainer.train(texts, SeedlingVocab.FIRST_NORMAL_ID + 12);
        assertThat(vocab.size()).isEqualTo(SeedlingVocab.FIRST_NORMAL_ID + 12);
        assertThat(vocab.tokens().subList(SeedlingVocab.FIRST_NORMAL_ID, vocab.size()))
                .noneMatch(tok -> tok.contains("<") || tok.contains("|") || tok.contains(" "));
    }

    @Test
    void firstMergeScoresHighestAndCharactersAreNotMerges() {
        SeedlingVocab vocab = BpeTrainer.train(List.of("ab ab ab ab abc abc"), 300);
        int ab = vocab.tokens().indexOf("ab");
        assertThat(ab).isPositive();
        assertThat(vocab.score(ab)).isEqualTo(-1f);
        assertThat(vocab.score(vocab.tokens().indexOf("a"))).isZero();
        assertThat(vocab.tokenizer().encode("ab")).containsExactly(ab);
    }

    @Test
    void rareCharactersFallBackToBytes() {
        SeedlingVocab vocab = BpeTrainer.train(List.of("aaaa".repeat(10_000) + "龘"), 400);
        assertThat(vocab.tokens()).doesNotContain("龘");
        int[] ids = vocab.tokenizer().encode("龘");
        assertThat(ids).containsExactly(SeedlingVocab.FIRST_BYTE_ID + 0xE9, SeedlingVocab.FIRST_BYTE_ID + 0xBE,
                SeedlingVocab.FIRST_BYTE_ID + 0x98);
    }

    @Test
    void refusesATooSmallVocabularyAndBadOptions() {
        assertThatThrownBy(() -> BpeTrainer.train(List.of("x"), SeedlingVocab.FIRST_NORMAL_ID))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("special and byte");
        assertThatThrownBy(() -> new BpeTrainer.Options(0, 2, 16, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SeedlingVocab(List.of("a"), new float[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("▁");
        assertThatThrownBy(() -> new SeedlingVocab(List.of("a", "a"), new float[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> vocabOf("<s>")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void decodeRefusesIdsOutsideTheVocabulary() {
        SeedlingTokenizer t = BpeTrainer.train(List.of("hi"), 300).tokenizer();
        assertThatThrownBy(() -> t.decode(new int[] {-1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> t.decode(new int[] {100_000})).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside");
    }

    private static SeedlingVocab vocabOf(String token) {
        return new SeedlingVocab(List.of("\u2581", token), new float[2]);
    }
}
