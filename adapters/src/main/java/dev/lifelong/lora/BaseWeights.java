package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The frozen weights of the base model as NDArrays, each held in its storage precision and turned into the compute
 * precision one layer at a time ({@link #layer}). A GGUF matrix of ggml shape ne = [in, out] is row-major [out][in]
 * (PyTorch's Linear layout) and is kept that way; callers multiply by its transpose.
 *
 * <p>Why 16 bits: PyTorch on this class of CPU computes float16 matrix products about 100 times slower than float32
 * (measured: 16 s against 0.15 s for 512×1536 · 1536×8960) and DJL 0.35.1 can neither hold bfloat16 tensors nor cast
 * inside the autograd graph (its {@code toType} detaches). So weights are stored as float16 (half the bytes of
 * float32, and exact for F16 files) and each layer is widened to float32 just before it is used, then released.
 * Tensors whose file type is F32 stay float32 (exact; tiny test models), and a tensor whose values do not fit float16
 * falls back to float32.
 */
public final class BaseWeights {
    /** How tensors are stored. */
    public enum Storage {
        /** float16, float32 for F32 source tensors and for values outside float16's range; computes in float32. */
        COMPACT,
        /** Everything float64 (gradient checks). */
        FLOAT64
    }

    /** One transformer block; matrices are [out][in]. Biases are null where the architecture has none. */
    public record Layer(NDArray attnNorm, NDArray wq, NDArray wk, NDArray wv, NDArray wo, NDArray bq, NDArray bk,
            NDArray bv, NDArray ffnNorm, NDArray wGate, NDArray wUp, NDArray wDown) {
        public NDArray weight(LoraTarget t) {
            return switch (t) {
                case Q -> wq;
                case K -> wk;
                case V -> wv;
                case O -> wo;
                case GATE -> wGate;
                case UP -> wUp;
                case DOWN -> wDown;
            };
        }
    }

    private static final int CHUNK_ELEMENTS = 1 << 20;

    private final NDArray tokenEmbedding;
    private final List<Layer> layers;
    private final NDArray outputNorm;
    private final NDArray output;
    private final long residentBytes;

    private BaseWeights(NDArray tokenEmbedding, List<Layer> layers, NDArray outputNorm, NDArray output,
            long residentBytes) {
        this.tokenEmbedding = tokenEmbedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
        this.residentBytes = residentBytes;
    }

    /** Loads every tensor the config needs into {@code manager}, dequantized, in the storage precision. */
    public static BaseWeights load(GgufFile gguf, TransformerConfig c, NDManager manager, Storage storage) {
        Loader l = new Loader(gguf, manager, storage);
        NDArray embd = l.matrix("token_embd.weight", c.vocabSize(), c.nEmbd());
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "blk." + i + ".";
            layers.add(new Layer(
                    l.vector(p + "attn_norm.weight", c.nEmbd()),
                    l.matrix(p + "attn_q.weight", c.qDim(), c.nEmbd()),
                    l.matrix(p + "attn_k.weight", c.kvDim(), c.nEmbd()),
                    l.matrix(p + "attn_v.weight", c.kvDim(), c.nEmbd()),
                    l.matrix(p + "attn_output.weight", c.nEmbd(), c.qDim()),
                    c.qkvBias() ? l.vector(p + "attn_q.bias", c.qDim()) : null,
                    c.qkvBias() ? l.vector(p + "attn_k.bias", c.kvDim()) : null,
                    c.qkvBias() ? l.vector(p + "attn_v.bias", c.kvDim()) : null,
                    l.vector(p + "ffn_norm.weight", c.nEmbd()),
                    l.matrix(p + "ffn_gate.weight", c.nFf(), c.nEmbd()),
                    l.matrix(p + "ffn_up.weight", c.nFf(), c.nEmbd()),
                    l.matrix(p + "ffn_down.weight", c.nEmbd(), c.nFf())));
        }
        NDArray norm = l.vector("output_norm.weight", c.nEmbd());
        NDArray out = c.tiedOutput() ? embd : l.matrix("output.weight", c.vocabSize(), c.nEmbd());
        return new BaseWeights(embd, layers, norm, out, l.bytes);
    }

    /** Bytes the stored tensors occupy (outside the Java heap). */
    public long residentBytes() {
        return residentBytes;
    }

    public int layerCount() {
        return layers.size();
    }

    /**
     * Layer {@code i} in {@code compute} precision: stored arrays as they are when they already have it, widened
     * copies attached to {@code m} otherwise (released when {@code m} closes).
     */
    public Layer layer(int i, NDManager m, DataType compute) {
        Layer s = layers.get(i);
        return new Layer(widen(s.attnNorm(), m, compute), widen(s.wq(), m, compute), widen(s.wk(), m, compute),
                widen(s.wv(), m, compute), widen(s.wo(), m, compute), widen(s.bq(), m, compute),
                widen(s.bk(), m, compute), widen(s.bv(), m, compute), widen(s.ffnNorm(), m, compute),
                widen(s.wGate(), m, compute), widen(s.wUp(), m, compute), widen(s.wDown(), m, compute));
    }

    /** Rows {@code ids} of the token embedding, [ids.length][nEmbd], in {@code compute} precision, attached to m. */
    public NDArray embeddingRows(long[] ids, NDManager m, DataType compute) {
        return gather(tokenEmbedding, ids, m, compute);
    }

    /** Rows {@code ids} of the output projection, [ids.length][nEmbd], in {@code compute} precision, attached to m. */
    public NDArray outputRowsAt(long[] ids, NDManager m, DataType compute) {
        return gather(output, ids, m, compute);
    }

    private static NDArray gather(NDArray matrix, long[] ids, NDManager m, DataType compute) {
        NDArray index = OwnedArrays.of(m, ids, new Shape(ids.length, 1)).broadcast(new Shape(ids.length, matrix.getShape().get(1)));
        NDArray x = matrix.gather(index, 0);
        x.attach(m);
        return x.getDataType() == compute ? x : x.toType(compute, false);
    }

    /** Rows {@code [from, to)} of the output projection [vocab][nEmbd] in {@code compute} precision, attached to m. */
    public NDArray outputRows(long from, long to, NDManager m, DataType compute) {
        NDArray rows = output.get(from + ":" + to);
        rows.attach(m);
        return rows.getDataType() == compute ? rows : rows.toType(compute, false);
    }

    public long vocabRows() {
        return output.getShape().get(0);
    }

    public NDArray outputNorm(NDManager m, DataType compute) {
        return widen(outputNorm, m, compute);
    }

    private static NDArray widen(NDArray a, NDManager m, DataType compute) {
        if (a == null || a.getDataType() == compute) return a;
        NDArray w = a.toType(compute, false);
        w.attach(m);
        return w;
    }

    private static final class Loader {
        private final GgufFile gguf;
        private final NDManager manager;
        private final Storage storage;
        long bytes;

        Loader(GgufFile gguf, NDManager manager, Storage storage) {
            this.gguf = gguf;
            this.manager = manager;
            this.storage = storage;
        }

        NDArray matrix(String name, int rows, int cols) {
            return load(name, new long[] {cols, rows}, new Shape(rows, cols));
        }

        /** Norms and biases: always at least float32. */
        NDArray vector(String name, int n) {
            return load(name, new long[] {n}, new Shape(n));
        }

        private NDArray load(String name, long[] ggmlShape, Shape shape) {
            TensorInfo t = gguf.tensor(name).orElseThrow(() -> new GgufFormatException(gguf.path()
                    + ": tensor '" + name + "' is missing"));
            long[] ne = t.shape();
            long[] trimmed = ne.length > ggmlShape.length && ne[ne.length - 1] == 1
                    ? Arrays.copyOf(ne, ggmlShape.length) : ne;
            if (!Arrays.equals(trimmed, ggmlShape)) {
                throw new GgufFormatException(gguf.path() + ": tensor '" + name + "' has shape "
                        + Arrays.toString(ne) + ", expected " + Arrays.toString(ggmlShape));
            }
            DataType type = storage == Storage.FLOAT64 ? DataType.FLOAT64
                    : shape.dimension() == 1 || t.type() == GgmlType.F32 || t.type() == GgmlType.F64 ? DataType.FLOAT32
                    : DataType.FLOAT16;
            NDArray tensor = decode(t, shape, type);
            if (tensor == null) { // a value outside float16's range
                type = DataType.FLOAT32;
                tensor = decode(t, shape, type);
            }
            bytes += tensor.size() * type.getNumOfBytes();
            return tensor;
        }

        /**
         * A tensor that PyTorch owns, decoded straight into its memory, or null if a value overflows float16. Nothing
         * passes through a Java direct buffer: one per tensor stayed resident until a collection (the whole model a
         * second time in the small-heap child: the Qwen2.5-0.5B twin peaked 0.5 GB above its plan).
         */
        private NDArray decode(TensorInfo t, Shape shape, DataType type) {
            NDArray tensor = manager.create(shape, type);
            ByteBuffer memory = tensor.toByteBuffer(true);
            long expected = t.elementCount() * type.getNumOfBytes();
            if (!memory.isDirect() || memory.capacity() != expected) {
                tensor.close();
                throw new IllegalStateException("PyTorch did not expose tensor '" + t.name() + "' as " + expected
                        + " bytes of its own memory (got " + memory.capacity() + ", direct: " + memory.isDirect() + ")");
            }
            if (!read(t, type, memory.order(ByteOrder.nativeOrder()))) {
                tensor.close();
                return null;
            }
            return tensor;
        }

        /** Decodes the tensor into {@code out} as {@code type}, chunk by chunk; false if float16 overflows. */
        private boolean read(TensorInfo t, DataType type, ByteBuffer out) {
            long n = t.elementCount();
            long rowLength = t.shape()[0];
            long rowBytes = t.type().byteSize(rowLength);
            long rowsPerChunk = Math.max(1, CHUNK_ELEMENTS / rowLength);
            long rows = n / rowLength;
            float[] values = new float[(int) Math.min(n, rowsPerChunk * rowLength)];
            short[] halves = type == DataType.FLOAT16 ? new short[values.length] : null;
            for (long row = 0; row < rows; row += rowsPerChunk) {
                int k = (int) Math.min(rowsPerChunk, rows - row);
                int count = (int) (k * rowLength);
                float[] chunk = count == values.length ? values : new float[count];
                Dequantizer.dequantize(t.type(), gguf.tensorData(t, row * rowBytes, (int) (k * rowBytes)), chunk,
                        t.name());
                if (type == DataType.FLOAT16) {
                    for (int i = 0; i < count; i++) {
                        short h = Float.floatToFloat16(chunk[i]);
                        if (Float.isInfinite(Float.float16ToFloat(h)) && !Float.isInfinite(chunk[i])) return false;
                        halves[i] = h;
                    }
                    out.asShortBuffer().position((int) (row * rowLength)).put(halves, 0, count);
                } else if (type == DataType.FLOAT32) {
                    out.asFloatBuffer().position((int) (row * rowLength)).put(chunk, 0, count);
                } else {
                    var d = out.asDoubleBuffer().position((int) (row * rowLength));
                    for (int i = 0; i < count; i++) d.put(chunk[i]);
                }
            }
            return true;
        }
    }
}
