package dev.lifelong.lora;

/**
 * One training example: token ids and, per position, how much predicting {@code tokens[i]} from {@code tokens[0..i)}
 * counts in the loss (0 = not at all, e.g. prompt tokens). {@code lossWeights[0]} has no prefix and is ignored.
 */
public record TrainingSequence(int[] tokens, float[] lossWeights) {
    public TrainingSequence {
        if (tokens.length != lossWeights.length) {
            throw new IllegalArgumentException("tokens and lossWeights differ in length: " + tokens.length + " vs "
                    + lossWeights.length);
        }
        for (float w : lossWeights) {
            if (!(w >= 0) || Float.isInfinite(w)) {
                throw new IllegalArgumentException("loss weights must be finite and non-negative, got " + w);
            }
        }
        tokens = tokens.clone();
        lossWeights = lossWeights.clone();
    }

    /** Every token after the first counts with weight 1. */
    public static TrainingSequence allTokens(int[] tokens) {
        float[] w = new float[tokens.length];
        java.util.Arrays.fill(w, 1f);
        if (w.length > 0) {
            w[0] = 0f;
        }
        return new TrainingSequence(tokens, w);
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public float[] lossWeights() {
        return lossWeights.clone();
    }

    int length() {
        return tokens.length;
    }

    int token(int i) {
        return tokens[i];
    }

    float weight(int i) {
        return lossWeights[i];
    }

    /** Sum of the weights that count (positions 1 and later). */
    double weightSum() {
        double s = 0;
        for (int i = 1; i < lossWeights.length; i++) {
            s += lossWeights[i];
        }
        return s;
    }

    TrainingSequence truncated(int maxLen) {
        return tokens.length <= maxLen ? this : new TrainingSequence(java.util.Arrays.copyOf(tokens, maxLen),
                java.util.Arrays.copyOf(lossWeights, maxLen));
    }
}
