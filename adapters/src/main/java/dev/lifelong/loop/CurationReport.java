package dev.lifelong.loop;

import java.util.LinkedHashMap;
import java.util.Map;

/** How many answers each curation rule kept or dropped; saved with the run and shown with the version. */
public final class CurationReport {
    public static final String ANSWERS = "answers_seen";
    public static final String KEPT_TURNS = "kept_turns";
    public static final String CORRECTIONS = "corrections";
    public static final String FACTS = "facts";
    public static final String FACT_VARIANTS = "fact_variants";
    public static final String SELF_REPLAY = "self_replay";
    public static final String PRIVATE = "excluded_private_conversation";
    public static final String RETIRED_MEMORY = "excluded_deleted_or_forgotten_memory";
    public static final String ERROR_OR_EMPTY = "excluded_error_or_empty_answer";
    public static final String RATED_DOWN = "excluded_rated_down";
    public static final String CORRECTED = "replaced_by_correction";
    public static final String NEAR_DUPLICATE = "excluded_near_duplicate";
    public static final String NO_QUESTION = "excluded_no_user_message";
    public static final String DELETED_SOURCE = "excluded_correction_of_deleted_message";

    private final Map<String, Integer> counts = new LinkedHashMap<>();

    public CurationReport() {
        for (String k : new String[] {ANSWERS, KEPT_TURNS, CORRECTIONS, FACTS, FACT_VARIANTS, SELF_REPLAY, PRIVATE, RETIRED_MEMORY, ERROR_OR_EMPTY,
                RATED_DOWN, CORRECTED, NEAR_DUPLICATE, NO_QUESTION, DELETED_SOURCE}) {
            counts.put(k, 0);
        }
    }

    void add(String rule) {
        counts.merge(rule, 1, Integer::sum);
    }

    public int get(String rule) {
        return counts.getOrDefault(rule, 0);
    }

    public Map<String, Integer> counts() {
        return Map.copyOf(counts);
    }

    /** In a stable order, for JSON. */
    public Map<String, Integer> ordered() {
        return new LinkedHashMap<>(counts);
    }
}
