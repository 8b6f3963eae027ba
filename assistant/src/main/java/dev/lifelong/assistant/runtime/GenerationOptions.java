package dev.lifelong.assistant.runtime;

import java.util.List;

/**
 * Sampling settings of one request. {@code seed < 0} means "random"; temperature 0 means greedy. {@code grammar}, when
 * not null, is a GBNF grammar the output must follow (see {@link LlamaRuntime#jsonSchemaGrammar}).
 */
public record GenerationOptions(int maxTokens, float temperature, float topP, int seed, List<String> stop, String grammar) {
    public static final int DEFAULT_MAX_TOKENS = 512;

    public GenerationOptions {
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be at least 1");
        if (temperature < 0 || temperature > 2) throw new IllegalArgumentException("temperature must be between 0 and 2");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be in (0, 1]");
        stop = stop == null ? List.of() : List.copyOf(stop);
        if (stop.size() > 4) throw new IllegalArgumentException("at most 4 stop sequences");
    }

    public GenerationOptions(int maxTokens, float temperature, float topP, int seed, List<String> stop) {
        this(maxTokens, temperature, topP, seed, stop, null);
    }

    public static GenerationOptions defaults() {
        return new GenerationOptions(DEFAULT_MAX_TOKENS, 0.7f, 0.95f, -1, List.of());
    }

    public GenerationOptions withMaxTokens(int n) { return new GenerationOptions(n, temperature, topP, seed, stop, grammar); }

    public GenerationOptions withGrammar(String g) { return new GenerationOptions(maxTokens, temperature, topP, seed, stop, g); }
}
