package dev.lifelong.seedling.training;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-training state after {@code stepsDone} optimizer steps: every weight, both AdamW moments and the loss history.
 * Data order is a function of (seed, step), so the step is all the random state there is.
 *
 * <p>File: "LLSEEDCK" magic, version 1, fingerprint, stepsDone, tensor count, then per tensor its name (UTF), length
 * and values, m, v as float32; then the loss history as float64; big-endian. Temp file, fsync, atomic rename.
 */
record FullCheckpoint(long fingerprint, int stepsDone, Map<String, float[]> weights, Map<String, float[]> adamM,
        Map<String, float[]> adamV, List<Double> lossHistory) {
    private static final long MAGIC = 0x4C4C534545444B43L; // "LLSEEDKC"
    private static final int VERSION = 1;

    void write(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer head = ByteBuffer.allocate(24);
                head.putLong(MAGIC).putInt(VERSION).putLong(fingerprint).putInt(stepsDone).flip();
                writeAll(ch, head);
                writeAll(ch, ByteBuffer.allocate(4).putInt(weights.size()).flip());
                for (Map.Entry<String, float[]> e : weights.entrySet()) {
                    byte[] name = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    writeAll(ch, ByteBuffer.allocate(8 + name.length).putInt(name.length).put(name)
                            .putInt(e.getValue().length).flip());
                    writeFloats(ch, e.getValue());
                    writeFloats(ch, adamM.get(e.getKey()));
                    writeFloats(ch, adamV.get(e.getKey()));
                }
                ByteBuffer hist = ByteBuffer.allocate(4 + 8 * lossHistory.size());
                hist.putInt(lossHistory.size());
                for (double l : lossHistory) {
                    hist.putDouble(l);
                }
                writeAll(ch, hist.flip());
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static FullCheckpoint read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readLong() != MAGIC) {
                throw new IOException(file + " is not a seedling training checkpoint");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(file + ": checkpoint version " + version + " is not supported");
            }
            long fingerprint = in.readLong();
            int steps = in.readInt();
            int n = in.readInt();
            if (n < 0 || n > 100_000) {
                throw new IOException(file + ": bad tensor count " + n);
            }
            Map<String, float[]> w = new LinkedHashMap<>();
            Map<String, float[]> m = new LinkedHashMap<>();
            Map<String, float[]> v = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int nameLen = in.readInt();
                if (nameLen < 1 || nameLen > 256) {
                    throw new IOException(file + ": bad tensor name length " + nameLen);
                }
                byte[] name = in.readNBytes(nameLen);
                String key = new String(name, java.nio.charset.StandardCharsets.UTF_8);
                int len = in.readInt();
                if (len < 0) {
                    throw new IOException(file + ": bad tensor length " + len);
                }
                w.put(key, readFloats(in, len));
                m.put(key, readFloats(in, len));
                v.put(key, readFloats(in, len));
            }
            int h = in.readInt();
            List<Double> history = new ArrayList<>(h);
            for (int i = 0; i < h; i++) {
                history.add(in.readDouble());
            }
            return new FullCheckpoint(fingerprint, steps, w, m, v, history);
        }
    }

    private static void writeAll(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static void writeFloats(FileChannel ch, float[] a) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        for (int i = 0; i < a.length; ) {
            int n = Math.min(a.length - i, b.capacity() / 4);
            b.clear();
            b.asFloatBuffer().put(a, i, n);
            b.limit(n * 4);
            writeAll(ch, b);
            i += n;
        }
    }

    private static float[] readFloats(DataInputStream in, int len) throws IOException {
        byte[] bytes = new byte[len * 4];
        in.readFully(bytes);
        float[] a = new float[len];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(a);
        return a;
    }
}
