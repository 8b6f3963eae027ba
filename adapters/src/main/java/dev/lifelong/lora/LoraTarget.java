package dev.lifelong.lora;

import java.util.Locale;

/** A projection of a transformer block that LoRA can adapt, named as in PEFT and as in GGUF. */
public enum LoraTarget {
    Q("attn_q"), K("attn_k"), V("attn_v"), O("attn_output"), GATE("ffn_gate"), UP("ffn_up"), DOWN("ffn_down");

    private final String ggufName;

    LoraTarget(String ggufName) {
        this.ggufName = ggufName;
    }

    /** The base tensor of layer {@code layer}, e.g. {@code blk.3.attn_q.weight}. */
    public String tensorName(int layer) {
        return "blk." + layer + "." + ggufName + ".weight";
    }

    public int inFeatures(TransformerConfig c) {
        return switch (this) {
            case Q, K, V, GATE, UP -> c.nEmbd();
            case O -> c.qDim();
            case DOWN -> c.nFf();
        };
    }

    public int outFeatures(TransformerConfig c) {
        return switch (this) {
            case Q -> c.qDim();
            case K, V -> c.kvDim();
            case O, DOWN -> c.nEmbd();
            case GATE, UP -> c.nFf();
        };
    }

    /** Accepts PEFT-style names ({@code q}, {@code q_proj}, {@code gate_proj}) and GGUF names ({@code attn_q}). */
    public static LoraTarget parse(String name) {
        String n = name.toLowerCase(Locale.ROOT).replace("_proj", "");
        for (LoraTarget t : values()) {
            if (t.name().toLowerCase(Locale.ROOT).equals(n) || t.ggufName.equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown LoRA target '" + name + "'; known: q, k, v, o, gate, up, down");
    }
}
