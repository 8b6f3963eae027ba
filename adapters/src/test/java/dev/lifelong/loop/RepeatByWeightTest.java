package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;
import java.util.List;
import org.junit.jupiter.api.Test;

class RepeatByWeightTest {
    @Test
    void aCorrectionWeighted3IsTrainedThreeTimesAndEveryCopyHasWeight1() {
        ChatExample turn = new ChatExample(List.of(Turn.user("q"), Turn.assistant("a")), 1.0);
        ChatExample correction = new ChatExample(List.of(Turn.user("Capital of Italy?"), Turn.assistant("Rome.")), 3.0);
        ChatExample light = new ChatExample(List.of(Turn.user("x"), Turn.assistant("y")), 0.2);
        List<ChatExample> out = LifelongUpdate.repeatByWeight(List.of(turn, correction, light));
        assertThat(out).hasSize(5);
        assertThat(out).allSatisfy(e -> assertThat(e.weight()).isEqualTo(1.0));
        assertThat(out.stream().filter(e -> e.messages().equals(correction.messages()))).hasSize(3);
    }
}
