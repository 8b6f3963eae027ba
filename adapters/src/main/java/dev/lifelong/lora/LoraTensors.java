package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** The LoRA matrices of one forward pass as NDArrays (optionally recording gradients), indexed like the slots. */
final class LoraTensors {
    final LoraWeights weights;
    final NDArray[] a;
    final NDArray[] b;

    private LoraTensors(LoraWeights weights, NDArray[] a, NDArray[] b) {
        this.weights = weights;
        this.a = a;
        this.b = b;
    }

    static LoraTensors create(LoraWeights w, NDManager m, DataType dtype, boolean requiresGradient) {
        int n = w.slots().size();
        NDArray[] a = new NDArray[n];
        NDArray[] b = new NDArray[n];
        int r = w.config().rank();
        for (int i = 0; i < n; i++) {
            LoraWeights.Slot s = w.slots().get(i);
            a[i] = m.create(w.a(i), new Shape(r, s.in())).toType(dtype, false);
            b[i] = m.create(w.b(i), new Shape(s.out(), r)).toType(dtype, false);
            if (requiresGradient) {
                a[i].setRequiresGradient(true);
                b[i].setRequiresGradient(true);
            }
        }
        return new LoraTensors(w, a, b);
    }

    /** For gradient checks: A and B given directly (e.g. float64 values that float32 cannot hold). */
    static LoraTensors of(LoraWeights w, NDArray[] a, NDArray[] b) {
        return new LoraTensors(w, a, b);
    }
}
