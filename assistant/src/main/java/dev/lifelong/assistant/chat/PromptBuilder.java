package dev.lifelong.assistant.chat;

import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import dev.lifelong.memory.Message;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits system prompt + history into the context window, counting with the model's own tokenizer: the oldest turns go
 * first, the latest user message always stays. Later issues add retrieved memories here.
 */
final class PromptBuilder {
    private PromptBuilder() {}

    static List<ChatTurn> fit(LlamaRuntime runtime, String systemPrompt, List<Message> history, int answerBudget) {
        List<ChatTurn> turns = ChatService.turnsOf(history);
        int context = runtime.options().contextSize();
        int budget = context - Math.min(answerBudget, context / 2);
        int start = 0;
        while (true) {
            List<ChatTurn> candidate = new ArrayList<>();
            if (systemPrompt != null && !systemPrompt.isBlank()) candidate.add(ChatTurn.system(systemPrompt));
            List<ChatTurn> window = turns.subList(start, turns.size());
            // A window must start with a user turn for templates that insist on alternation.
            while (!window.isEmpty() && !window.get(0).role().equals("user")) window = window.subList(1, window.size());
            candidate.addAll(window);
            int tokens = runtime.countTokens(runtime.renderPrompt(candidate));
            if (tokens <= budget) return candidate;
            if (window.size() <= 1) {
                throw new PromptTooLongException("the message is " + tokens + " tokens long with the system prompt; the "
                        + "context window is " + context + " tokens. Shorten it or raise context-size");
            }
            start = turns.size() - window.size() + 1;
        }
    }
}
