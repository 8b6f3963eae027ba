package dev.lifelong.lora;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** Tokenized training data on disk, handed from the tokenizing process to the training process. */
public final class SequenceFiles {
    private static final long MAGIC = 0x4c4c5345_51533031L; // "LLSEQS01"

    private SequenceFiles() {}

    public static void write(Path file, List<TrainingSequence> sequences) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
                out.writeLong(MAGIC);
                out.writeInt(sequences.size());
                for (TrainingSequence s : sequences) {
                    int[] t = s.tokens();
                    float[] w = s.lossWeights();
                    out.writeInt(t.length);
                    for (int x : t) out.writeInt(x);
                    for (float x : w) out.writeFloat(x);
                }
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static List<TrainingSequence> read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readLong() != MAGIC) throw new IOException(file + " is not a Lifelong sequence file");
            int n = in.readInt();
            if (n < 0 || n > 50_000_000) throw new IOException(file + ": bad sequence count " + n);
            List<TrainingSequence> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int len = in.readInt();
                if (len < 0 || len > 1 << 20) throw new IOException(file + ": bad sequence length " + len);
                int[] t = new int[len];
                float[] w = new float[len];
                for (int j = 0; j < len; j++) t[j] = in.readInt();
                for (int j = 0; j < len; j++) w[j] = in.readFloat();
                out.add(new TrainingSequence(t, w));
            }
            return out;
        }
    }
}
