package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The LoRA matrices of a forward pass, turned into NDArrays one layer at a time ({@link #layer}). The values come
 * from {@link LoraWeights} (float32, training and serving) or, for gradient checks, from float64 arrays that float32
 * cannot hold.
 */
final class LoraTensors {
    final LoraWeights weights;
    private final double[][] a64;
    private final double[][] b64;

    private LoraTensors(LoraWeights weights, double[][] a64, double[][] b64) {
        this.weights = weights;
        this.a64 = a64;
        this.b64 = b64;
    }

    static LoraTensors of(LoraWeights w) {
        return new LoraTensors(w, null, null);
    }

    /** For gradient checks: A and B given directly, indexed like {@code w}'s slots. */
    static LoraTensors of(LoraWeights w, double[][] a, double[][] b) {
        return new LoraTensors(w, a, b);
    }

    /** The adapted projections of one layer, indexed by {@link LoraTarget#ordinal()}; slot -1 where not adapted. */
    record Layer(int[] slot, NDArray[] a, NDArray[] b, float scale) {
        boolean adapts(LoraTarget t) {
            return slot[t.ordinal()] >= 0;
        }
    }

    Layer layer(int layer, NDManager m, DataType dtype, boolean requiresGradient) {
        int n = LoraTarget.values().length;
        int[] slot = new int[n];
        NDArray[] a = new NDArray[n];
        NDArray[] b = new NDArray[n];
        int r = weights.config().rank();
        for (LoraTarget t : LoraTarget.values()) {
            int i = weights.indexOf(layer, t);
            slot[t.ordinal()] = i;
            if (i < 0) continue;
            LoraWeights.Slot s = weights.slots().get(i);
            if (a64 != null) {
                a[t.ordinal()] = OwnedArrays.of(m, a64[i], new Shape(r, s.in())).toType(dtype, false);
                b[t.ordinal()] = OwnedArrays.of(m, b64[i], new Shape(s.out(), r)).toType(dtype, false);
            } else {
                a[t.ordinal()] = OwnedArrays.of(m, weights.a(i), new Shape(r, s.in())).toType(dtype, false);
                b[t.ordinal()] = OwnedArrays.of(m, weights.b(i), new Shape(s.out(), r)).toType(dtype, false);
            }
            if (requiresGradient) {
                a[t.ordinal()].setRequiresGradient(true);
                b[t.ordinal()].setRequiresGradient(true);
            }
        }
        return new Layer(slot, a, b, weights.config().scale());
    }
}
