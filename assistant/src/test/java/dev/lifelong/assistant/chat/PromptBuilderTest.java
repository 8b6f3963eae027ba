package dev.lifelong.assistant.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Context fitting with the real llama.cpp tokenizer and chat template (tiny random-weight model, 512-token window). */
class PromptBuilderTest {
    static LlamaRuntime runtime;

    @BeforeAll
    static void load() { runtime = LlamaRuntime.load(TestModels.tiny(), new RuntimeOptions(2, 0, 512, 1)); }

    @AfterAll
    static void close() { if (runtime != null) runtime.close(); }

    private static List<Message> history(int exchanges, String last) {
        List<Message> out = new ArrayList<>();
        long id = 1;
        for (int i = 0; i < exchanges; i++) {
            out.add(new Message(id++, 1, Role.USER, "question number " + i + " about the garden and the weather", MessageStatus.COMPLETE, Instant.EPOCH));
            out.add(new Message(id++, 1, Role.ASSISTANT, "answer number " + i + " with a few words of detail", MessageStatus.COMPLETE, Instant.EPOCH));
        }
        out.add(new Message(id, 1, Role.USER, last, MessageStatus.COMPLETE, Instant.EPOCH));
        return out;
    }

    private static List<String> memories(int n, int words) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add("The user remembers item " + i + ": " + "detail ".repeat(words).strip() + ".");
        return out;
    }

    @Test
    void memoriesGoIntoTheSystemMessageUnderTheSeedlingsHeader() {
        PromptBuilder.Fitted f = PromptBuilder.fit(runtime, "You are Lifelong.", List.of("The user lives in Oslo.", "The user has a cat."),
                history(1, "Where do I live?"), 64);
        assertThat(f.memoriesUsed()).isEqualTo(2);
        assertThat(f.turns().get(0)).isEqualTo(ChatTurn.system("You are Lifelong.\nKnown about the user:\n- The user lives in Oslo.\n- The user has a cat."));
        assertThat(f.turns()).hasSize(4);
        PromptBuilder.Fitted zh = PromptBuilder.fit(runtime, "你是 Lifelong。", List.of("用户住在杭州。"), history(0, "我住在哪里？"), 64);
        assertThat(zh.turns().get(0).content()).isEqualTo("你是 Lifelong。\n已知用户信息：\n- 用户住在杭州。");
    }

    @Test
    void neverExceedsTheWindowDroppingOldTurnsThenTheLowestRankedMemories() {
        int answerBudget = 128;
        for (int exchanges : new int[] {0, 3, 20}) {
            for (int n : new int[] {0, 4, 30}) {
                List<String> mems = memories(n, 12);
                PromptBuilder.Fitted f = PromptBuilder.fit(runtime, "You are Lifelong.", mems, history(exchanges, "And now?"), answerBudget);
                assertThat(f.promptTokens()).as(exchanges + " exchanges, " + n + " memories").isLessThanOrEqualTo(512 - answerBudget);
                assertThat(runtime.countTokens(runtime.renderPrompt(f.turns()))).isEqualTo(f.promptTokens());
                assertThat(f.turns().get(f.turns().size() - 1)).isEqualTo(ChatTurn.user("And now?"));
                String system = f.turns().get(0).content();
                for (int i = 0; i < n; i++) {
                    assertThat(system.contains("item " + i + ":")).as("memory " + i + " of " + n).isEqualTo(i < f.memoriesUsed());
                }
                if (n == 30) {
                    assertThat(f.memoriesUsed()).isBetween(1, 29);
                    assertThat(f.turns()).as("old turns go before memories").hasSize(2);
                }
            }
        }
    }

    @Test
    void aMessageTooLongEvenAloneIsAClearError() {
        assertThatThrownBy(() -> PromptBuilder.fit(runtime, "sys", memories(3, 5), history(0, "word ".repeat(600)), 128))
                .isInstanceOf(PromptTooLongException.class).hasMessageContaining("context window is 512 tokens");
    }
}
