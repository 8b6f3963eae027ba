package de.kherud.llama;

/**
 * Sets the per-request adapter scales of a completion (llama.cpp server's {@code "lora"} field), which
 * java-llama.cpp 4.2.0 has no setter for. Lives in this package because {@code JsonParameters.parameters} is
 * package-private; values in that map are emitted as raw JSON.
 */
public final class LoraSelection {
    private LoraSelection() {}

    /** {@code scales[i]} is the scale of the i-th adapter given at model load (0 = off). */
    public static InferenceParameters apply(InferenceParameters params, float[] scales) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < scales.length; i++) {
            if (i > 0) json.append(',');
            json.append("{\"id\":").append(i).append(",\"scale\":").append(scales[i]).append('}');
        }
        params.parameters.put("lora", json.append(']').toString());
        return params;
    }
}
