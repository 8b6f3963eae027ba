package dev.lifelong.lora;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The trainable LoRA matrices, as plain row-major float arrays (the canonical state: what checkpoints and the GGUF
 * writer store): A is [rank][in], B is [out][rank]. A starts uniform in ±1/sqrt(in) (PyTorch's kaiming_uniform with
 * a = sqrt(5), as PEFT does), B starts at zero, so a fresh adapter leaves the model unchanged.
 */
public final class LoraWeights {
    /** One adapted projection: layer, target and its sizes. */
    public record Slot(int layer, LoraTarget target, int in, int out) {
        public String baseTensor() {
            return target.tensorName(layer);
        }
    }

    private final LoraConfig config;
    private final List<Slot> slots;
    private final float[][] a;
    private final float[][] b;

    private LoraWeights(LoraConfig config, List<Slot> slots) {
        this.config = config;
        this.slots = Collections.unmodifiableList(slots);
        this.a = new float[slots.size()][];
        this.b = new float[slots.size()][];
        for (int i = 0; i < slots.size(); i++) {
            a[i] = new float[config.rank() * slots.get(i).in()];
            b[i] = new float[slots.get(i).out() * config.rank()];
        }
    }

    /** Freshly initialised weights: A random (seeded by the config), B zero. */
    public static LoraWeights initialize(TransformerConfig model, LoraConfig config) {
        LoraWeights w = zeros(model, config);
        for (int i = 0; i < w.slots.size(); i++) {
            Slot s = w.slots.get(i);
            SplittableRandom r = new SplittableRandom(config.seed() * 0x9E3779B97F4A7C15L + i);
            double bound = 1.0 / Math.sqrt(s.in());
            for (int j = 0; j < w.a[i].length; j++) {
                w.a[i][j] = (float) r.nextDouble(-bound, bound);
            }
        }
        return w;
    }

    /** All-zero weights of the right shapes (for loading). */
    public static LoraWeights zeros(TransformerConfig model, LoraConfig config) {
        List<Slot> slots = new ArrayList<>();
        for (int layer = 0; layer < model.nLayer(); layer++) {
            for (LoraTarget t : LoraTarget.values()) {
                if (config.targets().contains(t)) {
                    slots.add(new Slot(layer, t, t.inFeatures(model), t.outFeatures(model)));
                }
            }
        }
        return new LoraWeights(config, slots);
    }

    public LoraConfig config() {
        return config;
    }

    /** Slots in a fixed order: by layer, then by {@link LoraTarget} order. */
    public List<Slot> slots() {
        return slots;
    }

    /** Index of the slot, or -1 when that projection is not adapted. */
    public int indexOf(int layer, LoraTarget target) {
        for (int i = 0; i < slots.size(); i++) {
            if (slots.get(i).layer() == layer && slots.get(i).target() == target) {
                return i;
            }
        }
        return -1;
    }

    /** The live A of slot {@code i}, row-major [rank][in]. */
    public float[] a(int i) {
        return a[i];
    }

    /** The live B of slot {@code i}, row-major [out][rank]. */
    public float[] b(int i) {
        return b[i];
    }

    public long parameterCount() {
        long n = 0;
        for (int i = 0; i < slots.size(); i++) {
            n += a[i].length + b[i].length;
        }
        return n;
    }

    public LoraWeights copy() {
        LoraWeights c = new LoraWeights(config, new ArrayList<>(slots));
        for (int i = 0; i < slots.size(); i++) {
            System.arraycopy(a[i], 0, c.a[i], 0, a[i].length);
            System.arraycopy(b[i], 0, c.b[i], 0, b[i].length);
        }
        return c;
    }
}
