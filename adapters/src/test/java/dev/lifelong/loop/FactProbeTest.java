package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FactProbeTest {
    @Test
    void englishFactsEndInTheirValue() {
        assertThat(FactProbe.of("The user's sister is called Lea.")).isEqualTo(
                new FactProbe(FactProbe.ENGLISH_QUESTION + "The user's sister is called …", "Lea"));
        assertThat(FactProbe.of("The user lives in Berlin").answer()).isEqualTo("Berlin");
        assertThat(FactProbe.of("The user's favourite food is green curry with rice.").answer()).isEqualTo("green curry with rice");
        assertThat(FactProbe.of("The user prefers short answers.").answer()).isEqualTo("short answers");
        assertThat(FactProbe.of("Birthday: 14 March").answer()).isEqualTo("March");
    }

    @Test
    void chineseFactsSplitAfterTheirLinkWord() {
        FactProbe p = FactProbe.of("用户住在柏林。");
        assertThat(p.answer()).isEqualTo("柏林");
        assertThat(p.question()).isEqualTo(FactProbe.CHINESE_QUESTION + "用户住在……");
        assertThat(FactProbe.of("用户的妹妹叫莉娅").answer()).isEqualTo("莉娅");
    }

    @Test
    void textWithoutAValueGivesNoProbe() {
        assertThat(FactProbe.of("Hello")).isNull();
        assertThat(FactProbe.of("  .  ")).isNull();
    }
}
