package dev.lifelong.lora;

import java.util.SplittableRandom;

/**
 * Inverted dropout on the LoRA input whose masks depend only on (seed, step, sequence, slot), never on a running
 * random generator, so a run resumed from a checkpoint draws exactly the masks the uninterrupted run would have.
 */
record Dropout(float p, long seed, long step, int sequence) {
    static final Dropout NONE = new Dropout(0f, 0, 0, 0);

    boolean active() {
        return p > 0;
    }

    /** Row-major [rows][cols] of 0 and 1/(1-p). */
    float[] mask(int slot, int rows, int cols) {
        SplittableRandom r = new SplittableRandom(Seeds.mix(seed, step, sequence, slot));
        float keep = 1f / (1f - p);
        float[] m = new float[rows * cols];
        for (int i = 0; i < m.length; i++) {
            m[i] = r.nextDouble() < p ? 0f : keep;
        }
        return m;
    }
}
