package dev.lifelong.lora;

/**
 * One training sequence: {@code lossWeights[i]} weighs the loss of predicting {@code tokens[i]} from
 * {@code tokens[0..i-1]}; 0 means no loss.
 */
public record TrainingSequence(int[] tokens, float[] lossWeights) {
    public TrainingSequence {
        if (tokens.length != lossWeights.length) {
            throw new IllegalArgumentException("tokens and lossWeights differ in length: " + tokens.length + " vs "
                    + lossWeights.length);
        }
    }
}
