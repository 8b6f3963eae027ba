package dev.lifelong.lora;

/** Linear warmup to the peak rate, then cosine decay to {@code peak · minLrRatio} at the last step. */
public record LrSchedule(float peak, int warmupSteps, int totalSteps, float minLrRatio) {
    /** The learning rate of optimizer step {@code step} (0-based). */
    public float at(int step) {
        if (step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        int decaySteps = Math.max(1, totalSteps - warmupSteps - 1);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double cosine = 0.5 * (1 + StrictMath.cos(Math.PI * progress));
        return (float) (peak * (minLrRatio + (1 - minLrRatio) * cosine));
    }
}
