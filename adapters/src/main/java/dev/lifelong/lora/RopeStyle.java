package dev.lifelong.lora;

/** How llama.cpp pairs the dimensions of a head for rotary position embedding (its LLAMA_ROPE_TYPE_*). */
public enum RopeStyle {
    /** Adjacent pairs (x0, x1), (x2, x3), ...: llama (the GGUF conversion permuted q/k for it). */
    NORM,
    /** Halves (x_i, x_{i + d/2}): GPT-NeoX style, used by qwen2. */
    NEOX
}
