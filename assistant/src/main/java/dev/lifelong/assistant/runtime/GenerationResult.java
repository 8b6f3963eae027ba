package dev.lifelong.assistant.runtime;

/** What a finished (or stopped) generation produced. */
public record GenerationResult(String text, FinishReason finishReason, int promptTokens, int completionTokens) {
    public enum FinishReason {
        /** The model ended its turn or hit a stop sequence. */
        STOP,
        /** max_tokens reached. */
        LENGTH,
        /** The client pressed Stop or went away. */
        CANCELLED
    }
}
