package dev.lifelong.lora;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which projections get a low-rank update {@code y = W x + (alpha / rank) · B A dropout(x)}, and how big it is.
 *
 * @param seed seeds the initialisation of A
 */
public record LoraConfig(Set<LoraTarget> targets, int rank, float alpha, float dropout, long seed) {
    public LoraConfig {
        targets = Set.copyOf(targets.isEmpty() ? Set.of() : EnumSet.copyOf(targets));
        if (targets.isEmpty() || rank < 1 || !(alpha > 0) || !(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA needs targets, rank >= 1, alpha > 0 and dropout in [0, 1): "
                    + targets + ", " + rank + ", " + alpha + ", " + dropout);
        }
    }

    /** All seven projections, alpha = 2 · rank, no dropout. */
    public static LoraConfig of(int rank, long seed) {
        return new LoraConfig(EnumSet.allOf(LoraTarget.class), rank, 2f * rank, 0f, seed);
    }

    public float scale() {
        return alpha / rank;
    }

    public LoraConfig withDropout(float p) {
        return new LoraConfig(targets, rank, alpha, p, seed);
    }

    public LoraConfig withAlpha(float a) {
        return new LoraConfig(targets, rank, a, dropout, seed);
    }
}
