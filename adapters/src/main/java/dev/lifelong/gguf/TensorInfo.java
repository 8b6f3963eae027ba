package dev.lifelong.gguf;

import java.util.Arrays;

/**
 * One tensor of a GGUF file.
 *
 * @param shape dimensions in ggml order (ne0 is the row length, the fastest-varying one)
 * @param offset byte offset of the data relative to the start of the file's data section
 * @param byteSize bytes of data
 */
public record TensorInfo(String name, long[] shape, GgmlType type, long offset, long byteSize) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && Arrays.equals(shape, t.shape) && type == t.type
                && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape) + " " + type + " @" + offset + " (" + byteSize + " bytes)";
    }
}
