package dev.lifelong.seedling.corpus;

/** The kinds of conversation in the seedling corpus, with their share of the training mix (relative weights). */
public enum Kind {
    GREETING(10),
    MEMORY_QA(26),
    ABSTENTION(16),
    TELL_FACT(12),
    CORRECTION(10),
    EXTRACTION(16),
    ANSWER_LENGTH(10),
    /**
     * "Repeat after me: Layla, Quasar, 743" answered with the same list: every answer token is a copy from the
     * context. Off in the default mix (weight 0, so the default corpus is unchanged); for experiments with
     * {@code seedling rebuild --mix}. Measured: 700 steps of pure ECHO on the 4.2M model (≈0.8M tokens) brought the
     * loss from 5.4 to 2.3 without the model learning to copy — see decision 017.
     */
    ECHO(0),
    /**
     * Memory QA whose values are invented syllable strings and numbers ("your locker code is Zanmirtu"): nothing to
     * memorise, only to copy from the memory block. Off in the default mix; an experiment of decision 017.
     */
    RECALL(0);

    final int weight;

    Kind(int weight) {
        this.weight = weight;
    }
}
