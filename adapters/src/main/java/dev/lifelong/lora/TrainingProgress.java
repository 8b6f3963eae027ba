package dev.lifelong.lora;

/** After optimizer step {@code step} (1-based) of {@code totalSteps}: its loss, throughput and time left. */
public record TrainingProgress(int step, int totalSteps, double loss, double tokensPerSecond, double etaSeconds) {
}
