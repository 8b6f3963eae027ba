package dev.lifelong.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed GGUF file: its metadata and tensor infos are in memory, tensor data is mapped from the file on request.
 *
 * <p>Metadata values are Java objects: uint8, int8, uint16, int16 and int32 as {@link Integer}; uint32, int64 and uint64
 * as {@link Long} (uint64 above 2^63 comes out negative); float32 as {@link Float}, float64 as {@link Double}, bool as
 * {@link Boolean}, string as {@link String}, arrays as unmodifiable {@link List}s of these (nested arrays as lists).
 * {@link #valueType} tells the exact GGUF type.
 */
public final class GgufFile implements AutoCloseable {
    record Entry(GgufValueType type, GgufValueType elementType, Object value) {
    }

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final int version;
    private final long alignment;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, Object> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> tensorsByName;

    GgufFile(Path path, FileChannel channel, long fileSize, int version, long alignment, long dataStart,
            Map<String, Entry> entries, List<TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.version = version;
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.entries = entries;
        Map<String, Object> values = new LinkedHashMap<>();
        entries.forEach((k, e) -> values.put(k, e.value()));
        this.metadata = Collections.unmodifiableMap(values);
        this.tensors = tensors;
        Map<String, TensorInfo> byName = new HashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        this.tensorsByName = byName;
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public long alignment() {
        return alignment;
    }

    public long fileSize() {
        return fileSize;
    }

    /** Byte position in the file where tensor data starts; tensor offsets are relative to it. */
    public long dataStart() {
        return dataStart;
    }

    /** All metadata in file order. */
    public Map<String, Object> metadata() {
        return metadata;
    }

    public Optional<GgufValueType> valueType(String key) {
        return Optional.ofNullable(entries.get(key)).map(Entry::type);
    }

    /** For an array value, the type of its elements. */
    public Optional<GgufValueType> arrayElementType(String key) {
        return Optional.ofNullable(entries.get(key)).map(Entry::elementType);
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    public Optional<String> findString(String key) {
        return typed(key, String.class, "a string");
    }

    public String getString(String key) {
        return findString(key).orElseThrow(() -> missing(key));
    }

    /** Any integer type as a long. */
    public Optional<Long> findLong(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Integer i) {
            return Optional.of(i.longValue());
        }
        if (v instanceof Long l) {
            return Optional.of(l);
        }
        throw wrongType(key, "an integer");
    }

    public long getLong(String key) {
        return findLong(key).orElseThrow(() -> missing(key));
    }

    /** float32 or float64 as a float. */
    public Optional<Float> findFloat(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Float f) {
            return Optional.of(f);
        }
        if (v instanceof Double d) {
            return Optional.of(d.floatValue());
        }
        throw wrongType(key, "a float");
    }

    public float getFloat(String key) {
        return findFloat(key).orElseThrow(() -> missing(key));
    }

    public Optional<Double> findDouble(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Float f) {
            return Optional.of(f.doubleValue());
        }
        if (v instanceof Double d) {
            return Optional.of(d);
        }
        throw wrongType(key, "a float");
    }

    public Optional<Boolean> findBoolean(String key) {
        return typed(key, Boolean.class, "a bool");
    }

    public boolean getBoolean(String key) {
        return findBoolean(key).orElseThrow(() -> missing(key));
    }

    public Optional<List<?>> findList(String key) {
        return typed(key, List.class, "an array").map(l -> (List<?>) l);
    }

    public List<?> getList(String key) {
        return findList(key).orElseThrow(() -> missing(key));
    }

    public List<String> getStringList(String key) {
        List<?> list = getList(key);
        List<String> out = new ArrayList<>(list.size());
        for (Object o : list) {
            if (!(o instanceof String s)) {
                throw wrongType(key, "an array of strings");
            }
            out.add(s);
        }
        return Collections.unmodifiableList(out);
    }

    public float[] getFloatArray(String key) {
        List<?> list = getList(key);
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (list.get(i) instanceof Float f) {
                out[i] = f;
            } else if (list.get(i) instanceof Double d) {
                out[i] = d.floatValue();
            } else {
                throw wrongType(key, "an array of floats");
            }
        }
        return out;
    }

    public long[] getLongArray(String key) {
        List<?> list = getList(key);
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (list.get(i) instanceof Integer n) {
                out[i] = n;
            } else if (list.get(i) instanceof Long n) {
                out[i] = n;
            } else {
                throw wrongType(key, "an array of integers");
            }
        }
        return out;
    }

    public int[] getIntArray(String key) {
        long[] longs = getLongArray(key);
        int[] out = new int[longs.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = Math.toIntExact(longs[i]);
        }
        return out;
    }

    public List<TensorInfo> tensors() {
        return tensors;
    }

    public Optional<TensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /**
     * The tensor's data, memory-mapped read-only and little-endian. Each call maps the tensor separately, so files of
     * any size work; a tensor of 2 GiB or more must be read in parts with {@link #tensorData(TensorInfo, long, int)}.
     */
    public ByteBuffer tensorData(TensorInfo tensor) {
        if (tensor.byteSize() > Integer.MAX_VALUE) {
            throw new GgufFormatException(path + ": tensor '" + tensor.name() + "' has " + tensor.byteSize()
                    + " bytes, more than one mapping can hold (2 GiB); read it in parts");
        }
        return tensorData(tensor, 0, (int) tensor.byteSize());
    }

    /** {@code length} bytes of the tensor's data from byte {@code from} of it, memory-mapped and little-endian. */
    public ByteBuffer tensorData(TensorInfo tensor, long from, int length) {
        if (!tensor.equals(tensorsByName.get(tensor.name()))) {
            throw new IllegalArgumentException("tensor " + tensor.name() + " is not from " + path);
        }
        if (from < 0 || length < 0 || from + length > tensor.byteSize()) {
            throw new IndexOutOfBoundsException("bytes " + from + ".." + (from + length) + " of tensor " + tensor.name()
                    + " with " + tensor.byteSize() + " bytes");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + tensor.offset() + from, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new GgufFormatException(path + ": cannot map tensor '" + tensor.name() + "': " + e, e);
        }
    }

    /** Summary for {@code doctor} and the UI. */
    public ModelInfo modelInfo() {
        String arch = findString("general.architecture").orElse("");
        String fileName = path.getFileName() == null ? path.toString() : path.getFileName().toString();
        String name = findString("general.name").filter(s -> !s.isBlank())
                .orElse(fileName.endsWith(".gguf") ? fileName.substring(0, fileName.length() - 5) : fileName);
        long params = 0;
        Map<GgmlType, Long> elementsByType = new HashMap<>();
        for (TensorInfo t : tensors) {
            long n = t.elementCount();
            params += n;
            if (t.shape().length >= 2) {
                elementsByType.merge(t.type(), n, Long::sum);
            }
        }
        String label = elementsByType.entrySet().stream()
                .max(Map.Entry.<GgmlType, Long>comparingByValue().thenComparing(e -> -e.getKey().ordinal()))
                .map(e -> e.getKey().name()).orElse("");
        long vocab = optLong(arch + ".vocab_size");
        if (vocab == 0 && metadata.get("tokenizer.ggml.tokens") instanceof List<?> tokens) {
            vocab = tokens.size();
        }
        long headCount = optLong(arch + ".attention.head_count");
        long headCountKv = has(arch + ".attention.head_count_kv") ? optLong(arch + ".attention.head_count_kv")
                : headCount;
        return new ModelInfo(arch, name, params, optLong(arch + ".context_length"),
                optLong(arch + ".embedding_length"), optLong(arch + ".block_count"), headCount, headCountKv, vocab,
                label, metadata.get("tokenizer.chat_template") instanceof String s && !s.isBlank(), fileSize);
    }

    private long optLong(String key) {
        // Per-layer arrays (some architectures vary head counts by layer) are summarised by their first value.
        if (metadata.get(key) instanceof List<?> list) {
            return !list.isEmpty() && list.get(0) instanceof Number n ? n.longValue() : 0;
        }
        return metadata.get(key) instanceof Number n && !(n instanceof Float) && !(n instanceof Double)
                ? n.longValue() : 0;
    }

    private <T> Optional<T> typed(String key, Class<T> type, String description) {
        Object v = metadata.get(key);
        if (v == null) {
            return Optional.empty();
        }
        if (!type.isInstance(v)) {
            throw wrongType(key, description);
        }
        return Optional.of(type.cast(v));
    }

    private GgufFormatException missing(String key) {
        return new GgufFormatException(path + ": metadata '" + key + "' is missing");
    }

    private GgufFormatException wrongType(String key, String expected) {
        return new GgufFormatException(path + ": metadata '" + key + "' should be " + expected + " but is "
                + entries.get(key).type() + (entries.get(key).elementType() == null ? ""
                : " of " + entries.get(key).elementType()));
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new GgufFormatException(path + ": cannot close: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size()
                + " tensors]";
    }
}
