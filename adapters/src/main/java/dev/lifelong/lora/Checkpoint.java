package dev.lifelong.lora;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Training state after {@code stepsDone} optimizer steps: LoRA A/B, AdamW moments and the loss history. Shuffles and
 * dropout masks are functions of (seed, step), so the step is all the random state there is. {@code fingerprint}
 * identifies the model shape, configs and data, so a checkpoint is never resumed against something else.
 *
 * <p>File: "LLLORACK" magic, version 1, fingerprint, stepsDone, slot count, then per slot layer, target, in, out and
 * A, B, m(A), v(A), m(B), v(B) as float32 arrays, then the loss history as float64; big-endian (DataOutput).
 * Written to a temp file, fsynced, then atomically renamed.
 */
record Checkpoint(long fingerprint, int stepsDone, LoraWeights weights, float[][] adamM, float[][] adamV,
        List<Double> lossHistory) {
    private static final long MAGIC = 0x4C4C4C4F5241434BL; // "LLLORACK"
    private static final int VERSION = 1;

    void write(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path temp = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream raw = Channels.newOutputStream(ch);
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 16));
                out.writeLong(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(fingerprint);
                out.writeInt(stepsDone);
                out.writeInt(weights.slots().size());
                for (int i = 0; i < weights.slots().size(); i++) {
                    LoraWeights.Slot s = weights.slots().get(i);
                    out.writeInt(s.layer());
                    out.writeInt(s.target().ordinal());
                    out.writeInt(s.in());
                    out.writeInt(s.out());
                    writeFloats(out, weights.a(i));
                    writeFloats(out, weights.b(i));
                    writeFloats(out, adamM[2 * i]);
                    writeFloats(out, adamV[2 * i]);
                    writeFloats(out, adamM[2 * i + 1]);
                    writeFloats(out, adamV[2 * i + 1]);
                }
                out.writeInt(lossHistory.size());
                for (double l : lossHistory) {
                    out.writeDouble(l);
                }
                out.flush();
                ch.force(true);
            }
            try {
                Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
            try (FileChannel dir = FileChannel.open(absolute.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            } catch (IOException ignored) {
                // Some platforms cannot open directories; the rename itself is still atomic.
            }
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    /** Reads a checkpoint into weights shaped by {@code model} and {@code lora}; mismatches are clear errors. */
    static Checkpoint read(Path file, TransformerConfig model, LoraConfig lora) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            if (in.readLong() != MAGIC) {
                throw new IOException(file + " is not a LoRA training checkpoint");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException(file + ": checkpoint version " + version + " is not supported (expected "
                        + VERSION + ")");
            }
            long fingerprint = in.readLong();
            int steps = in.readInt();
            LoraWeights w = LoraWeights.zeros(model, lora);
            int n = in.readInt();
            if (n != w.slots().size()) {
                throw new IOException(file + ": checkpoint has " + n + " LoRA slots, this run has "
                        + w.slots().size());
            }
            float[][] m = new float[2 * n][];
            float[][] v = new float[2 * n][];
            for (int i = 0; i < n; i++) {
                LoraWeights.Slot s = w.slots().get(i);
                if (in.readInt() != s.layer() || in.readInt() != s.target().ordinal() || in.readInt() != s.in()
                        || in.readInt() != s.out()) {
                    throw new IOException(file + ": checkpoint slot " + i + " does not match " + s);
                }
                readFloats(in, w.a(i), file);
                readFloats(in, w.b(i), file);
                m[2 * i] = readFloats(in, new float[w.a(i).length], file);
                v[2 * i] = readFloats(in, new float[w.a(i).length], file);
                m[2 * i + 1] = readFloats(in, new float[w.b(i).length], file);
                v[2 * i + 1] = readFloats(in, new float[w.b(i).length], file);
            }
            int h = in.readInt();
            List<Double> history = new ArrayList<>(h);
            for (int i = 0; i < h; i++) {
                history.add(in.readDouble());
            }
            return new Checkpoint(fingerprint, steps, w, m, v, history);
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float f : a) {
            out.writeFloat(f);
        }
    }

    private static float[] readFloats(DataInputStream in, float[] into, Path file) throws IOException {
        int n = in.readInt();
        if (n != into.length) {
            throw new IOException(file + ": checkpoint array of " + n + " values where " + into.length
                    + " were expected");
        }
        for (int i = 0; i < n; i++) {
            into[i] = in.readFloat();
        }
        return into;
    }
}
