package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FactVariantsTest {
    @Test
    void aNamedThingBecomesQuestionsAnswersAndTheCue() {
        List<FactVariants.Pair> v = FactVariants.of("The user's sister is called Lea.");
        assertThat(v).extracting(FactVariants.Pair::question).contains("What is my sister called?",
                "What's the name of my sister?", "What do you remember about me?",
                FactProbe.ENGLISH_QUESTION + "The user's sister is called …");
        assertThat(v).contains(new FactVariants.Pair("What is my sister called?", "Your sister is called Lea."));
        assertThat(v).allSatisfy(p -> assertThat(p.answer()).contains("Lea"));
        assertThat(v.size()).isGreaterThanOrEqualTo(5);
    }

    @Test
    void verbsArePutInTheSecondPerson() {
        assertThat(FactVariants.of("The user lives in Oslo.")).contains(new FactVariants.Pair("Where do I live?", "You live in Oslo."));
        assertThat(FactVariants.of("The user works as a nurse.")).contains(
                new FactVariants.Pair("What do I do for a living?", "You work as a nurse."));
        assertThat(FactVariants.of("The user drives a Volvo.")).contains(new FactVariants.Pair("What do I drive?", "You drive a Volvo."));
        assertThat(FactVariants.of("The user's birthday is in March.")).contains(
                new FactVariants.Pair("What is my birthday?", "Your birthday is in March."));
        assertThat(FactVariants.secondPerson("studies")).isEqualTo("study");
        assertThat(FactVariants.secondPerson("watches")).isEqualTo("watch");
        assertThat(FactVariants.secondPerson("is")).isEqualTo("are");
    }

    @Test
    void chineseFactsGetChineseQuestions() {
        List<FactVariants.Pair> v = FactVariants.of("用户的妹妹叫李娜。");
        assertThat(v).contains(new FactVariants.Pair("我的妹妹叫什么？", "你的妹妹叫李娜。"));
        assertThat(v).allSatisfy(p -> assertThat(p.answer()).contains("李娜"));
        assertThat(FactVariants.of("用户住在杭州")).contains(new FactVariants.Pair("我住在哪里？", "你住在杭州。"));
    }

    @Test
    void anUnusualShapeStillGetsTheCueAndAGenericPairThatStateTheValue() {
        List<FactVariants.Pair> v = FactVariants.of("Allergic to peanuts since childhood, says the user");
        assertThat(v).isNotEmpty().allSatisfy(p -> assertThat(p.answer()).isNotBlank());
        assertThat(FactVariants.of("")).isEmpty();
    }
}
