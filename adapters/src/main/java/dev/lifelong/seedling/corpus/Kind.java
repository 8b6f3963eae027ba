package dev.lifelong.seedling.corpus;

/** The kinds of conversation in the seedling corpus, with their share of the training mix (relative weights). */
public enum Kind {
    GREETING(10),
    MEMORY_QA(26),
    ABSTENTION(16),
    TELL_FACT(12),
    CORRECTION(10),
    EXTRACTION(16),
    ANSWER_LENGTH(10);

    final int weight;

    Kind(int weight) {
        this.weight = weight;
    }
}
