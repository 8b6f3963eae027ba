package dev.lifelong.seedling.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.data.Turn;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One held-out evaluation case: the prompt (every message before the last assistant turn) and what a correct answer
 * does. Exactly one expectation is set: {@code expectedSubstring} (the value copied from the memory block or the
 * correction), {@code expectedJson} (the extraction answer), or {@code expectAbstention}.
 */
public record EvalCase(String id, Kind kind, Language language, List<Turn> prompt, String expectedSubstring,
                       String expectedJson, boolean expectAbstention) {
    /** An answer abstains when it contains one of these; every abstention wording of the corpus does, nothing else. */
    public static final List<String> ABSTENTION_MARKERS = List.of("don't know", "不知道");

    private static final ObjectMapper JSON = new ObjectMapper();

    public EvalCase {
        prompt = List.copyOf(prompt);
        int set = (expectedSubstring != null ? 1 : 0) + (expectedJson != null ? 1 : 0) + (expectAbstention ? 1 : 0);
        if (set != 1) throw new IllegalArgumentException("an eval case needs exactly one expectation, has " + set);
        if (prompt.isEmpty() || !prompt.get(prompt.size() - 1).role().equals("user")) {
            throw new IllegalArgumentException("an eval prompt must end with a user message");
        }
    }

    static EvalCase of(String id, GeneratedConversation c) {
        List<Turn> prompt = c.messages().subList(0, c.messages().size() - 1);
        return switch (c.kind()) {
            case EXTRACTION -> new EvalCase(id, c.kind(), c.language(), prompt, null, c.expected(), false);
            case ABSTENTION -> new EvalCase(id, c.kind(), c.language(), prompt, null, null, true);
            case MEMORY_QA, CORRECTION -> new EvalCase(id, c.kind(), c.language(), prompt, c.expected(), null, false);
            default -> throw new IllegalArgumentException("no evaluation for kind " + c.kind());
        };
    }

    public static boolean abstains(String answer) {
        for (String m : ABSTENTION_MARKERS) if (answer.contains(m)) return true;
        return false;
    }

    /**
     * Whether a model's answer is right: abstains when it should; contains the expected value and does not abstain;
     * or, for extraction, is a JSON object valid against the schema holding the expected memories (in any order).
     */
    public boolean passes(String answer, ExtractionSchema schema) {
        if (expectAbstention) return abstains(answer);
        if (expectedSubstring != null) return answer.contains(expectedSubstring) && !abstains(answer);
        if (!schema.validate(answer.strip()).isEmpty()) return false;
        try {
            return sorted(JSON.readTree(answer.strip())).equals(sorted(JSON.readTree(expectedJson)));
        } catch (IOException e) {
            return false;
        }
    }

    private static List<String> sorted(JsonNode root) {
        List<String> out = new ArrayList<>();
        for (JsonNode m : root.get("memories")) out.add(m.get("kind").asText() + "\u0000" + m.get("text").asText());
        out.sort(null);
        return out;
    }
}
