package dev.lifelong.assistant.chat;

import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import dev.lifelong.memory.Message;

import java.util.ArrayList;
import java.util.List;

/**
 * Fits system prompt + retrieved memories + history into the context window, counting with the model's own
 * tokenizer. Oldest turns go first, then the lowest-ranked memories; the latest user message always stays. Memories
 * are written under a "Known about the user:" header (Chinese: "已知用户信息：") in the system message, the wording the
 * seedling was trained on.
 */
final class PromptBuilder {
    static final String KNOWN_EN = "Known about the user:";
    static final String KNOWN_ZH = "已知用户信息：";

    private PromptBuilder() {}

    /** The turns to send, and how many of the memories (a prefix of the ranked list) they include. */
    record Fitted(List<ChatTurn> turns, int memoriesUsed, int promptTokens) {}

    static List<ChatTurn> fit(LlamaRuntime runtime, String systemPrompt, List<Message> history, int answerBudget) {
        return fit(runtime, systemPrompt, List.of(), history, answerBudget).turns();
    }

    static Fitted fit(LlamaRuntime runtime, String systemPrompt, List<String> memories, List<Message> history,
            int answerBudget) {
        List<ChatTurn> turns = ChatService.turnsOf(history);
        int context = runtime.options().contextSize();
        int budget = context - Math.min(answerBudget, context / 2);
        String header = mostlyChinese(history) ? KNOWN_ZH : KNOWN_EN;
        int start = 0;
        int kept = memories.size();
        while (true) {
            List<ChatTurn> candidate = new ArrayList<>();
            String system = system(systemPrompt, header, memories.subList(0, kept));
            if (!system.isBlank()) candidate.add(ChatTurn.system(system));
            List<ChatTurn> window = turns.subList(start, turns.size());
            // A window must start with a user turn for templates that insist on alternation.
            while (!window.isEmpty() && !window.get(0).role().equals("user")) window = window.subList(1, window.size());
            candidate.addAll(window);
            int tokens = runtime.countTokens(runtime.renderPrompt(candidate));
            if (tokens <= budget) return new Fitted(candidate, kept, tokens);
            if (window.size() > 1) {
                start = turns.size() - window.size() + 1;
            } else if (kept > 0) {
                kept--;
            } else {
                throw new PromptTooLongException("the message is " + tokens + " tokens long with the system prompt; the "
                        + "context window is " + context + " tokens. Shorten it or raise context-size");
            }
        }
    }

    /**
     * Adds memories to turns a client sent (the OpenAI-compatible API) by extending or adding the system message,
     * dropping the lowest-ranked memories while the prompt would not leave {@code answerBudget} tokens.
     */
    static Fitted addMemories(LlamaRuntime runtime, List<ChatTurn> turns, List<String> memories, int answerBudget) {
        int context = runtime.options().contextSize();
        int budget = context - Math.min(answerBudget, context / 2);
        boolean hasSystem = !turns.isEmpty() && turns.get(0).role().equals("system");
        String base = hasSystem ? turns.get(0).content() : "";
        String lastUser = "";
        for (ChatTurn t : turns) if (t.role().equals("user")) lastUser = t.content();
        String header = isChinese(lastUser) ? KNOWN_ZH : KNOWN_EN;
        for (int kept = memories.size(); kept >= 0; kept--) {
            List<ChatTurn> candidate = new ArrayList<>();
            String system = system(base, header, memories.subList(0, kept));
            if (!system.isBlank()) candidate.add(ChatTurn.system(system));
            candidate.addAll(hasSystem ? turns.subList(1, turns.size()) : turns);
            int tokens = runtime.countTokens(runtime.renderPrompt(candidate));
            if (tokens <= budget || kept == 0) return new Fitted(candidate, kept, tokens);
        }
        throw new IllegalStateException("unreachable");
    }

    private static String system(String systemPrompt, String header, List<String> memories) {
        StringBuilder sb = new StringBuilder(systemPrompt == null ? "" : systemPrompt.strip());
        if (!memories.isEmpty()) {
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(header);
            for (String m : memories) sb.append("\n- ").append(m.replace('\n', ' '));
        }
        return sb.toString();
    }

    /** Whether the latest user message is written mostly in Chinese characters. */
    static boolean mostlyChinese(List<Message> history) {
        for (int i = history.size() - 1; i >= 0; i--) {
            Message m = history.get(i);
            if (m.role() != dev.lifelong.memory.Role.USER) continue;
            return isChinese(m.content());
        }
        return false;
    }

    static boolean isChinese(String text) {
        return dev.lifelong.memory.SearchTerms.mostlyCjk(text);
    }
}
