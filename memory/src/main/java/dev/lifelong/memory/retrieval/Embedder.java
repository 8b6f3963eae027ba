package dev.lifelong.memory.retrieval;

import java.util.ArrayList;
import java.util.List;

/** Turns text into a unit-length vector; texts that mean the same point the same way. */
public interface Embedder {
    /** Stable name of the model; stored with every vector so a model change re-embeds instead of mixing spaces. */
    String id();

    int dimension();

    /**
     * Whether the model was trained mainly on Chinese text. With several models, a question in Chinese script is
     * searched with the Chinese-first model and any other with the other (decision 016: each small model is weak in
     * the other language).
     */
    default boolean chineseFirst() {
        return false;
    }

    /** The L2-normalised embedding of the text. */
    float[] embed(String text);

    default List<float[]> embedAll(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (String t : texts) out.add(embed(t));
        return out;
    }

    static float[] normalize(float[] v) {
        double sum = 0;
        for (float x : v) sum += (double) x * x;
        if (!(sum > 0)) return v.clone();
        float inv = (float) (1 / Math.sqrt(sum));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] * inv;
        return out;
    }
}
