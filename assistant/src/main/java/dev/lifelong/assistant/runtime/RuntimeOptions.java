package dev.lifelong.assistant.runtime;

/**
 * How the native runtime is set up. {@code contextSize} is per request slot: llama.cpp splits its context evenly
 * between the parallel slots, so the runtime asks for {@code contextSize * parallel} in total.
 */
public record RuntimeOptions(int threads, int gpuLayers, int contextSize, int parallel) {
    public RuntimeOptions {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1");
        if (gpuLayers < 0) throw new IllegalArgumentException("gpu-layers must be 0 or more");
        if (contextSize < 128) throw new IllegalArgumentException("context size must be at least 128");
        if (parallel < 1 || parallel > 64) throw new IllegalArgumentException("parallel must be between 1 and 64");
    }

    public static RuntimeOptions defaults() {
        return new RuntimeOptions(Math.max(1, Runtime.getRuntime().availableProcessors()), 0, 2048, 2);
    }
}
