package dev.lifelong.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads GGUF files (versions 2 and 3). Every length and count in the file is checked against the file's size before
 * anything is allocated, so a truncated or garbage file gives a {@link GgufFormatException}, never an
 * OutOfMemoryError; tensor data is memory-mapped only on request.
 */
public final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final int DEFAULT_ALIGNMENT = 32;
    /** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
    static final int MAX_DIMS = 4;
    /** Longer keys or values than this are not metadata but damage; chat templates are a few KiB. */
    static final int MAX_STRING_BYTES = 16 << 20;
    static final int MAX_NESTING = 8;
    /** GGML_MAX_NAME: tensor names have at most 63 bytes. */
    static final int MAX_NAME = 64;
    /** Real models have a few thousand tensors and a few dozen keys; far more means a damaged header. */
    static final long MAX_TENSORS = 1 << 24;
    static final long MAX_METADATA = 1 << 24;

    private GgufReader() {
    }

    /** Reads the header, metadata and tensor infos of a GGUF file; the returned file maps tensor data lazily. */
    public static GgufFile read(Path file) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new GgufFormatException(file + ": no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new GgufFormatException(file + ": permission denied", e);
        } catch (IOException e) {
            throw new GgufFormatException(file + ": cannot open: " + e, e);
        }
        if (java.nio.file.Files.isDirectory(file)) {
            GgufFormatException e = new GgufFormatException(file + ": is a directory, not a GGUF file");
            closeQuietly(channel, e);
            throw e;
        }
        try {
            return parse(file, channel);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        } catch (IOException e) {
            closeQuietly(channel, e);
            throw new GgufFormatException(file + ": cannot read: " + e, e);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception pending) {
        try {
            channel.close();
        } catch (IOException e) {
            pending.addSuppressed(e);
        }
    }

    private static GgufFile parse(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        Input in = new Input(file, channel, fileSize);
        if (fileSize < 4) {
            throw in.error(fileSize == 0 ? "not a GGUF file (the file is empty)"
                    : "not a GGUF file (only " + fileSize + " bytes long)");
        }
        in.section = "header";
        int magic = in.i32();
        if (magic != MAGIC) {
            throw in.error("not a GGUF file (magic '" + printable(magic) + "')");
        }
        long version = in.u32();
        if (version != 2 && version != 3) {
            throw in.error("unsupported GGUF version " + version + (version == 1
                    ? " (GGUF v1 is from 2023; llama.cpp no longer loads it, download a current conversion)"
                    : " (llama.cpp b4916 reads versions 2 and 3)"));
        }
        long tensorCount = in.i64();
        long kvCount = in.i64();
        if (tensorCount < 0 || tensorCount > MAX_TENSORS) {
            throw in.error("absurd tensor count " + Long.toUnsignedString(tensorCount) + "; the header is damaged");
        }
        if (kvCount < 0 || kvCount > MAX_METADATA) {
            throw in.error("absurd metadata count " + Long.toUnsignedString(kvCount) + "; the header is damaged");
        }
        // A tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes, a key/value pair at
        // least 8 + 4 + 1.
        if (tensorCount * 24 + kvCount * 13 > in.remaining()) {
            throw in.error("file is truncated in the header: it declares " + kvCount + " metadata entries and "
                    + tensorCount + " tensors, which cannot fit in its " + fileSize
                    + " bytes — the download may be incomplete");
        }

        Map<String, GgufFile.Entry> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            in.section = "metadata entry " + (i + 1) + " of " + kvCount;
            String key = in.string();
            if (key.isEmpty()) {
                throw in.error("metadata entry " + (i + 1) + " has an empty key; the file is damaged");
            }
            in.section = "metadata '" + key + "'";
            long typeId = in.u32();
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) {
                throw in.error("unknown metadata value type " + typeId);
            }
            GgufValueType elementType = null;
            Object value;
            if (type == GgufValueType.ARRAY) {
                long elementTypeId = in.u32();
                elementType = GgufValueType.fromId(elementTypeId);
                if (elementType == null) {
                    throw in.error("unknown array element type " + elementTypeId);
                }
                value = in.arrayBody(elementType, 1);
            } else {
                value = in.value(type, 0);
            }
            if (metadata.putIfAbsent(key, new GgufFile.Entry(type, elementType, value)) != null) {
                throw in.error("duplicate metadata key '" + key + "'");
            }
        }

        long alignment = DEFAULT_ALIGNMENT;
        GgufFile.Entry alignmentEntry = metadata.get("general.alignment");
        if (alignmentEntry != null) {
            if (alignmentEntry.type() != GgufValueType.UINT32) {
                throw in.error("general.alignment must be a uint32, not " + alignmentEntry.type());
            }
            alignment = (Long) alignmentEntry.value();
            if (alignment == 0 || Long.bitCount(alignment) != 1) {
                throw in.error("general.alignment " + alignment + " is not a power of two");
            }
        }

        List<TensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 65536));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            in.section = "tensor info " + (i + 1) + " of " + tensorCount;
            String name = in.string();
            in.section = "tensor info '" + name + "'";
            if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= MAX_NAME) {
                throw in.error("tensor name '" + name + "' is longer than ggml allows (" + (MAX_NAME - 1) + " bytes)");
            }
            if (!names.add(name)) {
                throw in.error("duplicate tensor '" + name + "'");
            }
            long nDims = in.u32();
            if (nDims > MAX_DIMS) {
                throw in.error("tensor '" + name + "' has " + nDims + " dimensions (ggml allows up to " + MAX_DIMS + ")");
            }
            long[] shape = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                shape[d] = in.i64();
                if (shape[d] < 0) {
                    throw in.error("tensor '" + name + "' has a negative dimension " + Long.toUnsignedString(shape[d]));
                }
                try {
                    elements = Math.multiplyExact(elements, shape[d]);
                } catch (ArithmeticException e) {
                    throw in.error("tensor '" + name + "' has more elements than fit in 64 bits");
                }
            }
            GgmlType type;
            try {
                type = GgmlType.fromId(in.u32());
            } catch (GgufFormatException e) {
                throw in.error("tensor '" + name + "': " + e.getMessage());
            }
            long rowLength = nDims == 0 ? 1 : shape[0];
            if (rowLength % type.blockSize() != 0) {
                throw in.error("tensor '" + name + "' has rows of " + rowLength + " elements, not a multiple of the "
                        + type + " block size " + type.blockSize());
            }
            long offset = in.i64();
            if (offset < 0 || offset % alignment != 0) {
                throw in.error("tensor '" + name + "' has offset " + Long.toUnsignedString(offset)
                        + ", not a multiple of the alignment " + alignment);
            }
            long byteSize;
            try {
                byteSize = type.byteSize(elements);
            } catch (ArithmeticException e) {
                throw in.error("tensor '" + name + "' is larger than 2^63 bytes");
            }
            tensors.add(new TensorInfo(name, shape, type, offset, byteSize));
        }

        long dataStart = alignUp(in.position(), alignment);
        in.section = "tensor data";
        for (TensorInfo t : tensors) {
            long end = dataStart + t.offset() + t.byteSize();
            if (t.offset() > fileSize || t.byteSize() > fileSize || end > fileSize || end < 0) {
                throw in.error("file is truncated: tensor '" + t.name() + "' ends at byte "
                        + (end < 0 ? "beyond 2^63" : Long.toString(end)) + " but the file has " + fileSize
                        + " bytes — the download may be incomplete");
            }
        }
        // llama.cpp (gguf.cpp) requires the data to be laid out in tensor order, each tensor padded to the alignment.
        long expected = 0;
        for (TensorInfo t : tensors) {
            if (t.offset() != expected) {
                throw in.error("tensor '" + t.name() + "' has data offset " + t.offset() + " where llama.cpp expects "
                        + expected + "; the file is damaged");
            }
            expected = alignUp(expected + t.byteSize(), alignment);
        }
        return new GgufFile(file, channel, fileSize, (int) version, alignment, dataStart,
                Collections.unmodifiableMap(metadata), List.copyOf(tensors));
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }

    private static String printable(int magic) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            int c = (magic >>> (8 * i)) & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? (char) c : '.');
        }
        return sb.toString();
    }

    /** Buffered little-endian reads over the channel that never go past the end of the file. */
    private static final class Input {
        private final Path file;
        private final FileChannel channel;
        private final long fileSize;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        private long bufferStart; // file position of buffer index 0
        String section = "header";

        Input(Path file, FileChannel channel, long fileSize) {
            this.file = file;
            this.channel = channel;
            this.fileSize = fileSize;
            buffer.limit(0);
        }

        long position() {
            return bufferStart + buffer.position();
        }

        long remaining() {
            return fileSize - position();
        }

        GgufFormatException error(String what) {
            return new GgufFormatException(file + ": " + what);
        }

        private void need(long n) throws IOException {
            if (n > remaining()) {
                throw error("file is truncated in the " + section + ": needs " + n + " more bytes at byte "
                        + position() + " but the file has " + fileSize + " bytes — the download may be incomplete");
            }
            if (buffer.remaining() >= n) {
                return;
            }
            bufferStart = position();
            buffer.compact();
            while (buffer.position() < n) {
                if (channel.read(buffer, bufferStart + buffer.position()) < 0) {
                    throw error("file is truncated in the " + section + " (it shrank while being read)");
                }
            }
            buffer.flip();
        }

        int i32() throws IOException {
            need(4);
            return buffer.getInt();
        }

        long u32() throws IOException {
            return Integer.toUnsignedLong(i32());
        }

        long i64() throws IOException {
            need(8);
            return buffer.getLong();
        }

        String string() throws IOException {
            long length = i64();
            if (length < 0 || length > remaining()) {
                throw error("file is truncated in the " + section + ": string length " + Long.toUnsignedString(length)
                        + " goes beyond the end of the file (" + fileSize
                        + " bytes) — the download may be incomplete, or the file is damaged");
            }
            if (length > MAX_STRING_BYTES) {
                throw error("string of " + length + " bytes in the " + section + " is implausibly long");
            }
            byte[] bytes = new byte[(int) length];
            int done = 0;
            while (done < bytes.length) {
                int chunk = Math.min(bytes.length - done, buffer.capacity());
                need(chunk);
                buffer.get(bytes, done, chunk);
                done += chunk;
            }
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                // Some vocabularies hold invalid UTF-8 pieces; keep them readable rather than refuse the file.
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }

        Object value(GgufValueType type, int depth) throws IOException {
            switch (type) {
                case UINT8 -> { need(1); return buffer.get() & 0xFF; }
                case INT8 -> { need(1); return (int) buffer.get(); }
                case UINT16 -> { need(2); return buffer.getShort() & 0xFFFF; }
                case INT16 -> { need(2); return (int) buffer.getShort(); }
                case UINT32 -> { return u32(); }
                case INT32 -> { return i32(); }
                case FLOAT32 -> { need(4); return buffer.getFloat(); }
                case BOOL -> {
                    need(1);
                    byte b = buffer.get();
                    if (b != 0 && b != 1) {
                        throw error("bool value " + b + " in the " + section + " is neither 0 nor 1");
                    }
                    return b == 1;
                }
                case STRING -> { return string(); }
                case UINT64, INT64 -> { return i64(); }
                case FLOAT64 -> { need(8); return buffer.getDouble(); }
                case ARRAY -> {
                    long elementTypeId = u32();
                    GgufValueType elementType = GgufValueType.fromId(elementTypeId);
                    if (elementType == null) {
                        throw error("unknown array element type " + elementTypeId + " in the " + section);
                    }
                    return arrayBody(elementType, depth + 1);
                }
                default -> throw new AssertionError(type);
            }
        }

        List<Object> arrayBody(GgufValueType elementType, int depth) throws IOException {
            if (depth > MAX_NESTING) {
                throw error("arrays nested deeper than " + MAX_NESTING + " in the " + section);
            }
            long count = i64();
            if (count < 0 || count > remaining() / elementType.minBytes()) {
                throw error("file is truncated in the " + section + ": an array of " + Long.toUnsignedString(count)
                        + " " + elementType + " values cannot fit in the file (" + fileSize
                        + " bytes) — the download may be incomplete, or the file is damaged");
            }
            List<Object> values = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                values.add(value(elementType, depth));
            }
            return Collections.unmodifiableList(values);
        }
    }
}
