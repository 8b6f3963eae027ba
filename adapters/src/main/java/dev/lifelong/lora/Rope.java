package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding: pair i of a head at position p turns by p · theta^(-2i/d) / f_i, where f_i is the model's
 * rope frequency factor (Llama 3.1/3.2 {@code rope_freqs.weight}; 1 for models without). NORM pairs adjacent
 * dimensions (2i, 2i+1), NEOX pairs halves (i, i + d/2), as llama.cpp's ggml_rope_ext does per architecture.
 */
final class Rope {
    private final TransformerConfig config;
    private final int length;

    Rope(TransformerConfig config, int length) {
        this.config = config;
        this.length = length;
    }

    NDArray cos(NDManager m, DataType dtype) {
        return table(m, dtype, true);
    }

    NDArray sin(NDManager m, DataType dtype) {
        return table(m, dtype, false);
    }

    /** [T][1][d/2], broadcast over heads. */
    private NDArray table(NDManager m, DataType dtype, boolean cos) {
        int half = config.headDim() / 2;
        double[] v = new double[length * half];
        for (int p = 0; p < length; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * StrictMath.pow(config.ropeTheta(), -2.0 * i / config.headDim())
                        / config.ropeFreqFactor(i);
                v[p * half + i] = cos ? StrictMath.cos(angle) : StrictMath.sin(angle);
            }
        }
        return OwnedArrays.of(m, v, new Shape(length, 1, half)).toType(dtype, false);
    }

    /** x [T][heads][d] rotated. */
    NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        long t = x.getShape().get(0);
        long heads = x.getShape().get(1);
        int d = config.headDim();
        NDArray x0;
        NDArray x1;
        if (config.ropeStyle() == RopeStyle.NORM) {
            NDArray pairs = x.reshape(t, heads, d / 2, 2);
            x0 = pairs.get(":, :, :, 0");
            x1 = pairs.get(":, :, :, 1");
        } else {
            x0 = x.get(":, :, :" + d / 2);
            x1 = x.get(":, :, " + d / 2 + ":");
        }
        NDArray r0 = x0.mul(cos).sub(x1.mul(sin));
        NDArray r1 = x0.mul(sin).add(x1.mul(cos));
        return config.ropeStyle() == RopeStyle.NORM ? r0.stack(r1, 3).reshape(t, heads, d) : r0.concat(r1, 2);
    }
}
