package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Arrays made from Java values in memory that PyTorch owns, for every array an autograd graph may keep.
 *
 * <p>DJL's {@code create(float[])} wraps a direct buffer in a tensor ({@code torch::from_blob}) that only the Java
 * array object keeps alive; views of it and tensors that autograd saves for the backward pass do not. DJL's own
 * scalar operations ({@code x.mul(0.125)}, {@code x.div(n)}) create such a scalar and close it right after the forward
 * operation, while the graph still holds it for the backward pass. Once a garbage collection frees the buffer, the
 * backward pass reads freed memory. Measured: one {@code System.gc()} between a block's forward and backward passes
 * gave non-finite gradients at step 2; before this class, training results depended on when collections happened
 * (runs with a larger heap differed from each other, and "the first backward pass after other work" went wrong).
 */
public final class OwnedArrays {
    private OwnedArrays() {
    }

    public static NDArray of(NDManager m, float[] values, Shape shape) {
        return own(m.create(values, shape));
    }

    public static NDArray of(NDManager m, double[] values, Shape shape) {
        return own(m.create(values, shape));
    }

    public static NDArray of(NDManager m, long[] values, Shape shape) {
        return own(m.create(values, shape));
    }

    /** A 0-d array of {@code value} in {@code like}'s type and manager; use it instead of DJL's number overloads. */
    public static NDArray scalar(NDArray like, double value) {
        NDArray owned = own(like.getManager().create(value));
        if (like.getDataType() == DataType.FLOAT64) {
            return owned;
        }
        try (owned) {
            return owned.toType(like.getDataType(), false); // a conversion: a new tensor with memory of its own
        }
    }

    /** A copy in memory of PyTorch's own, in the same manager; {@code aliasing} is closed. */
    public static NDArray own(NDArray aliasing) {
        try (aliasing) {
            return aliasing.duplicate();
        }
    }
}
