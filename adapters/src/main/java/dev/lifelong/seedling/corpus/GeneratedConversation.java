package dev.lifelong.seedling.corpus;

import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;

import java.util.List;

/**
 * One generated conversation with what it is meant to teach: the kind, the language, and for the last assistant turn
 * the value it copies ({@code expected}: an entity value, or the extraction JSON), whether it abstains, and the slot
 * asked about. {@code entities} lists every entity value drawn for it (category and value).
 */
public record GeneratedConversation(Kind kind, Language language, ChatExample example, String slot, String expected,
                                    boolean abstains, List<Entity> entities) {
    public record Entity(String category, String value) {
    }

    public GeneratedConversation {
        entities = List.copyOf(entities);
    }

    public List<Turn> messages() {
        return example.messages();
    }

    /** The system prompt, or "" when there is none. */
    public String system() {
        Turn first = example.messages().get(0);
        return first.role().equals("system") ? first.content() : "";
    }

    public Turn last() {
        return example.messages().get(example.messages().size() - 1);
    }

    /** Characters of all message contents. */
    public int chars() {
        return example.messages().stream().mapToInt(t -> t.content().length()).sum();
    }

    /**
     * A rough token count for the context budget: about 4 characters a token for ASCII text, 1.5 for other text
     * (Chinese), plus a few tokens of template per message.
     */
    public int estimatedTokens() {
        double tokens = 0;
        for (Turn t : example.messages()) {
            tokens += 5;
            for (int i = 0; i < t.content().length(); i++) tokens += t.content().charAt(i) < 128 ? 0.25 : 1 / 1.5;
        }
        return (int) Math.ceil(tokens);
    }
}
