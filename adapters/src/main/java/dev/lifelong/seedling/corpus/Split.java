package dev.lifelong.seedling.corpus;

/**
 * Which entity pool a conversation draws from. Every entity value belongs to exactly one split, decided by the value
 * itself (not by its position in a list), so a name that appears in two lists still lands on one side and evaluation
 * measures copying from the prompt, never recall of a value seen in training.
 */
public enum Split {
    TRAIN, EVAL;

    static Split of(String key) {
        return Math.floorMod(key.hashCode() * 0x9E3779B1 + 0x7F4A7C15, 5) == 0 ? EVAL : TRAIN;
    }
}
