package dev.lifelong.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes GGUF version 3 files: metadata of every type and tensors of any ggml type. Tensor contents can be streamed,
 * so models larger than the heap can be written. {@link #write} is atomic: the target either keeps its old content or
 * gets the complete new file, never a partial one.
 *
 * <pre>{@code
 * GgufWriter.create()
 *     .putString("general.architecture", "llama")
 *     .addTensor("output_norm.weight", new long[] {64}, GgmlType.F32, ones)
 *     .write(path);
 * }</pre>
 */
public final class GgufWriter {
    /** An array value, needed to put arrays inside arrays. */
    public record Array(GgufValueType elementType, List<?> values) {
        public Array {
            values = List.copyOf(values);
        }
    }

    /** Produces a tensor's data when the file is written. */
    @FunctionalInterface
    public interface TensorContent {
        void writeTo(TensorOutput out) throws IOException;
    }

    /** Where a {@link TensorContent} writes; it must write exactly the tensor's byte size. */
    public interface TensorOutput {
        /** Raw bytes in the tensor's own encoding. */
        void write(ByteBuffer bytes) throws IOException;

        /** Values converted to the tensor's type, which must be F32, F16 or BF16. */
        void writeFloats(float[] values, int offset, int length) throws IOException;
    }

    private record PendingTensor(String name, long[] shape, GgmlType type, long byteSize, TensorContent content) {
    }

    private final Map<String, byte[]> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();
    private int alignment = GgufReader.DEFAULT_ALIGNMENT;

    private GgufWriter() {
    }

    public static GgufWriter create() {
        return new GgufWriter();
    }

    /** Alignment of tensor data (a power of two); other than the default 32, it is written as general.alignment. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        }
        this.alignment = alignment;
        if (alignment != GgufReader.DEFAULT_ALIGNMENT) {
            putUInt32("general.alignment", alignment);
        } else {
            metadata.remove("general.alignment");
        }
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putUInt8(String key, int value) {
        return put(key, GgufValueType.UINT8, value);
    }

    public GgufWriter putInt8(String key, int value) {
        return put(key, GgufValueType.INT8, value);
    }

    public GgufWriter putUInt16(String key, int value) {
        return put(key, GgufValueType.UINT16, value);
    }

    public GgufWriter putInt16(String key, int value) {
        return put(key, GgufValueType.INT16, value);
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValueType.INT32, value);
    }

    public GgufWriter putUInt64(String key, long value) {
        return put(key, GgufValueType.UINT64, value);
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValueType.INT64, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, GgufValueType.FLOAT64, value);
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValueType.BOOL, value);
    }

    /**
     * A value as {@link GgufFile#metadata()} gives it, in its original type ({@code elementType} for arrays): copies
     * metadata from one file to another without knowing the keys.
     */
    public GgufWriter putValue(String key, GgufValueType type, GgufValueType elementType, Object v) {
        return switch (type) {
            case STRING -> putString(key, (String) v);
            case UINT32 -> putUInt32(key, ((Number) v).longValue());
            case INT32 -> putInt32(key, ((Number) v).intValue());
            case UINT64 -> putUInt64(key, ((Number) v).longValue());
            case INT64 -> putInt64(key, ((Number) v).longValue());
            case UINT8 -> putUInt8(key, ((Number) v).intValue());
            case INT8 -> putInt8(key, ((Number) v).intValue());
            case UINT16 -> putUInt16(key, ((Number) v).intValue());
            case INT16 -> putInt16(key, ((Number) v).intValue());
            case FLOAT32 -> putFloat32(key, ((Number) v).floatValue());
            case FLOAT64 -> putFloat64(key, ((Number) v).doubleValue());
            case BOOL -> putBool(key, (Boolean) v);
            case ARRAY -> putArray(key, elementType, (List<?>) v);
        };
    }

    public GgufWriter putStringArray(String key, List<String> values) {
        return putArray(key, GgufValueType.STRING, values);
    }

    public GgufWriter putInt32Array(String key, int[] values) {
        List<Integer> list = new ArrayList<>(values.length);
        for (int v : values) {
            list.add(v);
        }
        return putArray(key, GgufValueType.INT32, list);
    }

    public GgufWriter putFloat32Array(String key, float[] values) {
        List<Float> list = new ArrayList<>(values.length);
        for (float v : values) {
            list.add(v);
        }
        return putArray(key, GgufValueType.FLOAT32, list);
    }

    /**
     * An array of any element type. Elements are Java values as {@link GgufFile} returns them (Integer/Long for
     * integers, Float/Double, Boolean, String), or {@link Array}s when the element type is ARRAY.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufValueType.ARRAY, new Array(elementType, values));
    }

    private GgufWriter put(String key, GgufValueType type, Object value) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must not be empty");
        }
        if (key.equals("general.alignment") && (type != GgufValueType.UINT32 || !(value instanceof Long a)
                || a <= 0 || Long.bitCount(a) != 1)) {
            throw new IllegalArgumentException("general.alignment must be a uint32 power of two");
        }
        LeBytes out = new LeBytes();
        out.u32(type.id());
        encode(out, type, value, key);
        metadata.put(key, out.toByteArray());
        if (key.equals("general.alignment")) {
            alignment = (int) (long) (Long) value;
        }
        return this;
    }

    private static void encode(LeBytes out, GgufValueType type, Object value, String key) {
        switch (type) {
            case UINT8 -> out.write(intIn(value, 0, 0xFF, type, key));
            case INT8 -> out.write(intIn(value, Byte.MIN_VALUE, Byte.MAX_VALUE, type, key));
            case UINT16 -> out.u16(intIn(value, 0, 0xFFFF, type, key));
            case INT16 -> out.u16(intIn(value, Short.MIN_VALUE, Short.MAX_VALUE, type, key));
            case UINT32 -> out.u32((int) longIn(value, 0, 0xFFFF_FFFFL, type, key));
            case INT32 -> out.u32((int) longIn(value, Integer.MIN_VALUE, Integer.MAX_VALUE, type, key));
            case UINT64, INT64 -> out.u64(longIn(value, Long.MIN_VALUE, Long.MAX_VALUE, type, key));
            case FLOAT32 -> {
                if (!(value instanceof Float f)) {
                    throw badValue(type, value, key);
                }
                out.u32(Float.floatToRawIntBits(f));
            }
            case FLOAT64 -> {
                if (!(value instanceof Double d)) {
                    throw badValue(type, value, key);
                }
                out.u64(Double.doubleToRawLongBits(d));
            }
            case BOOL -> {
                if (!(value instanceof Boolean b)) {
                    throw badValue(type, value, key);
                }
                out.write(b ? 1 : 0);
            }
            case STRING -> {
                if (!(value instanceof String s)) {
                    throw badValue(type, value, key);
                }
                out.string(s);
            }
            case ARRAY -> {
                if (!(value instanceof Array a)) {
                    throw badValue(type, value, key);
                }
                out.u32(a.elementType().id());
                out.u64(a.values().size());
                for (Object element : a.values()) {
                    encode(out, a.elementType(), element, key);
                }
            }
            default -> throw new AssertionError(type);
        }
    }

    private static int intIn(Object value, int min, int max, GgufValueType type, String key) {
        return (int) longIn(value, min, max, type, key);
    }

    private static long longIn(Object value, long min, long max, GgufValueType type, String key) {
        long v;
        if (value instanceof Integer i) {
            v = i;
        } else if (value instanceof Long l) {
            v = l;
        } else if (value instanceof Short s) {
            v = s;
        } else if (value instanceof Byte b) {
            v = b;
        } else {
            throw badValue(type, value, key);
        }
        if (v < min || v > max) {
            throw new IllegalArgumentException("metadata '" + key + "': " + v + " does not fit in " + type);
        }
        return v;
    }

    private static IllegalArgumentException badValue(GgufValueType type, Object value, String key) {
        return new IllegalArgumentException("metadata '" + key + "': " + (value == null ? "null"
                : value.getClass().getSimpleName()) + " is not a " + type + " value");
    }

    /** A tensor whose values are converted to {@code type}, which must be F32, F16 or BF16. */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, float[] values) {
        requireFloatType(type);
        long elements = elementCount(shape);
        if (elements != values.length) {
            throw new IllegalArgumentException("tensor " + name + ": shape has " + elements + " elements but "
                    + values.length + " values were given");
        }
        float[] copy = values.clone();
        return addTensor(name, shape, type, out -> out.writeFloats(copy, 0, copy.length));
    }

    /** A tensor given as raw bytes in the encoding of {@code type} (any type, quantized included). */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, byte[] data) {
        long expected = checkedByteSize(name, shape, type);
        if (expected != data.length) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " " + java.util.Arrays.toString(shape)
                    + " takes " + expected + " bytes but " + data.length + " were given");
        }
        byte[] copy = data.clone();
        return addTensor(name, shape, type, out -> out.write(ByteBuffer.wrap(copy)));
    }

    /** Copies these metadata entries (those present) to {@code other}, encoded as they are. */
    public GgufWriter copyMetadataTo(GgufWriter other, String... keys) {
        for (String k : keys) {
            byte[] v = metadata.get(k);
            if (v != null) other.metadata.put(k, v.clone());
        }
        return other;
    }

    /** Bytes of the data section (tensor data with alignment padding), as {@link #write} lays it out. */
    public long tensorDataBytes() {
        long offset = 0;
        for (PendingTensor t : tensors) {
            offset = GgufReader.alignUp(offset + t.byteSize(), alignment);
        }
        return offset;
    }

    /** The tensors added so far: name → type (in order). */
    public Map<String, GgmlType> tensorTypes() {
        Map<String, GgmlType> out = new LinkedHashMap<>();
        for (PendingTensor t : tensors) out.put(t.name(), t.type());
        return out;
    }

    /** A tensor whose data is produced while the file is written (for tensors larger than is wise to hold). */
    public GgufWriter addTensor(String name, long[] shape, GgmlType type, TensorContent content) {
        if (name == null || name.isEmpty() || name.getBytes(StandardCharsets.UTF_8).length >= 64) {
            // GGML_MAX_NAME is 64 including the terminating zero.
            throw new IllegalArgumentException("tensor name must have 1 to 63 bytes: '" + name + "'");
        }
        if (!tensorNames.add(name)) {
            throw new IllegalArgumentException("duplicate tensor " + name);
        }
        long byteSize = checkedByteSize(name, shape, type);
        tensors.add(new PendingTensor(name, shape.clone(), type, byteSize, content));
        return this;
    }

    private static long checkedByteSize(String name, long[] shape, GgmlType type) {
        if (shape.length == 0 || shape.length > GgufReader.MAX_DIMS) {
            throw new IllegalArgumentException("tensor " + name + " must have 1 to 4 dimensions");
        }
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": row length " + shape[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        return type.byteSize(elementCount(shape));
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void requireFloatType(GgmlType type) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            throw new IllegalArgumentException("float values can be stored as F32, F16 or BF16, not " + type
                    + "; quantize them and add raw bytes");
        }
    }

    /**
     * Writes the file: to a temporary file next to {@code target}, forced to disk, then atomically renamed over the
     * target, and the directory is forced too where the platform allows. On failure nothing is left behind and an
     * existing target is unchanged.
     */
    public Path write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeTo(channel);
                dev.lifelong.io.FaultInjection.diskFullAt("adapter");
                channel.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(temp);
            }
        }
        forceDirectory(dir);
        return target;
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open directories; the rename itself is still atomic there.
        }
    }

    private void writeTo(FileChannel channel) throws IOException {
        ChannelOutput out = new ChannelOutput(channel);
        LeBytes header = new LeBytes();
        header.u32(GgufReader.MAGIC);
        header.u32(3);
        header.u64(tensors.size());
        header.u64(metadata.size());
        out.write(header.toByteArray());
        for (Map.Entry<String, byte[]> e : metadata.entrySet()) {
            LeBytes key = new LeBytes();
            key.string(e.getKey());
            out.write(key.toByteArray());
            out.write(e.getValue());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            LeBytes info = new LeBytes();
            info.string(t.name());
            info.u32(t.shape().length);
            for (long d : t.shape()) {
                info.u64(d);
            }
            info.u32(t.type().id());
            info.u64(offset);
            out.write(info.toByteArray());
            offset = GgufReader.alignUp(offset + t.byteSize(), alignment);
        }
        out.pad(alignment);
        for (PendingTensor t : tensors) {
            long start = out.position();
            t.content().writeTo(new TensorOutput() {
                @Override
                public void write(ByteBuffer bytes) throws IOException {
                    if (out.position() - start + bytes.remaining() > t.byteSize()) {
                        throw new IllegalStateException("tensor " + t.name() + ": more than its " + t.byteSize()
                                + " bytes were written");
                    }
                    out.write(bytes);
                }

                @Override
                public void writeFloats(float[] values, int off, int len) throws IOException {
                    requireFloatType(t.type());
                    int width = t.type() == GgmlType.F32 ? 4 : 2;
                    ByteBuffer buf = ByteBuffer.allocate(Math.min(len, 1 << 16) * width).order(ByteOrder.LITTLE_ENDIAN);
                    for (int i = 0; i < len; i++) {
                        float v = values[off + i];
                        switch (t.type()) {
                            case F32 -> buf.putFloat(v);
                            case F16 -> buf.putShort(Float.floatToFloat16(v));
                            default -> buf.putShort((short) (bf16(v)));
                        }
                        if (!buf.hasRemaining()) {
                            write(buf.flip());
                            buf.clear();
                        }
                    }
                    write(buf.flip());
                }
            });
            if (out.position() - start != t.byteSize()) {
                throw new IllegalStateException("tensor " + t.name() + ": " + (out.position() - start)
                        + " bytes were written instead of " + t.byteSize());
            }
            out.pad(alignment);
        }
        out.flush();
    }

    private static int bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) {
            return (bits >>> 16) | 64;
        }
        return (bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16; // round to nearest even
    }

    /** Little-endian encoding into memory, for the small parts of the file. */
    private static final class LeBytes extends ByteArrayOutputStream {
        void u16(int v) {
            write(v);
            write(v >>> 8);
        }

        void u32(int v) {
            u16(v);
            u16(v >>> 16);
        }

        void u64(long v) {
            u32((int) v);
            u32((int) (v >>> 32));
        }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            write(bytes, 0, bytes.length);
        }
    }

    /** Buffered writes to the channel with position tracking. */
    private static final class ChannelOutput extends OutputStream {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        private long position;

        ChannelOutput(FileChannel channel) {
            this.channel = channel;
        }

        long position() {
            return position;
        }

        @Override
        public void write(int b) throws IOException {
            if (!buffer.hasRemaining()) {
                flush();
            }
            buffer.put((byte) b);
            position++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            write(ByteBuffer.wrap(b, off, len));
        }

        void write(ByteBuffer src) throws IOException {
            while (src.hasRemaining()) {
                if (!buffer.hasRemaining()) {
                    flush();
                }
                int n = Math.min(src.remaining(), buffer.remaining());
                ByteBuffer slice = src.slice(src.position(), n);
                buffer.put(slice);
                src.position(src.position() + n);
                position += n;
            }
        }

        void pad(long alignment) throws IOException {
            while (position % alignment != 0) {
                write(0);
            }
        }

        @Override
        public void flush() throws IOException {
            buffer.flip();
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            buffer.clear();
        }
    }
}
