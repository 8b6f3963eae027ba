package dev.lifelong.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Turns a tensor's stored bytes into float32 values, in ggml element order (row-major over ne0 fastest).
 * One method per ggml type, readable next to ggml-quants.c's {@code dequantize_row_*}.
 */
public final class Dequantizer {
    private Dequantizer() {}

    /** All elements of a tensor of the file. */
    public static float[] dequantize(GgufFile file, TensorInfo tensor) {
        long n = tensor.elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new GgufFormatException(file.path() + ": tensor '" + tensor.name() + "' has " + n + " elements, too many to train on");
        }
        float[] out = new float[(int) n];
        dequantize(tensor.type(), file.tensorData(tensor), out, tensor.name());
        return out;
    }

    /** Decodes {@code out.length} elements of {@code type} from {@code data} (read from its position). */
    public static void dequantize(GgmlType type, ByteBuffer data, float[] out, String what) {
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> f32(b, out);
            case F16 -> f16(b, out);
            default -> throw new GgufFormatException("tensor '" + what + "' has type " + type
                    + ", which the trainer cannot read yet; supported: F32, F16");
        }
    }

    static void f32(ByteBuffer b, float[] out) {
        b.asFloatBuffer().get(out);
    }

    static void f16(ByteBuffer b, float[] out) {
        for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(b.getShort());
    }
}
