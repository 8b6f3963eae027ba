package dev.lifelong.lora;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.TensorInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * How much memory a training or evaluation process needs for a model, computed from the model's tensors, and the JVM
 * limits to start it with. The base weights live outside the Java heap (16-bit PyTorch tensors, see
 * {@link BaseWeights}, decoded straight into PyTorch's memory); the heap holds the LoRA matrices, their optimizer
 * state and gradients, and the data; direct memory holds the small arrays a step hands to PyTorch. Checked against the machine's available memory before a
 * run starts, so a model that does not fit is refused with a sentence instead of failing at night.
 *
 * @param baseBytes the base weights as the trainer stores them
 * @param workingBytes one widened layer, one vocabulary chunk and the activations of the longest pass
 * @param heapBytes the {@code -Xmx} of the child JVM
 * @param directBytes the {@code -XX:MaxDirectMemorySize} of the child JVM
 */
public record MemoryPlan(String modelName, long baseBytes, long workingBytes, long heapBytes, long directBytes) {
    private static final long MIB = 1L << 20;
    /** The JVM, PyTorch's and MKL's own allocations, thread stacks. */
    private static final long RUNTIME_OVERHEAD = 400 * MIB;
    /** Left free for the server answering meanwhile and the operating system. */
    public static final long HEADROOM = 512 * MIB;

    /**
     * Everything the process may hold at its peak. Direct memory counts in full: a dead direct buffer is freed only
     * when a garbage collection runs, so buffers stay resident up to the cap.
     */
    public long totalBytes() {
        return baseBytes + workingBytes + heapBytes + directBytes + RUNTIME_OVERHEAD;
    }

    /** JVM options for the child process. */
    public java.util.List<String> jvmOptions() {
        return java.util.List.of("-Xmx" + heapBytes / MIB + "m", "-XX:MaxDirectMemorySize=" + directBytes / MIB + "m");
    }

    /**
     * The plan for training LoRA of {@code lora}'s size on sequences of up to {@code maxSeqLen} tokens,
     * {@code sequencesPerStep} at a time. Evaluation uses {@link #forEvaluation}.
     */
    public static MemoryPlan forTraining(GgufFile gguf, TransformerConfig c, LoraConfig lora, int maxSeqLen,
            int sequencesPerStep) {
        long loraParams = LoraWeights.zeros(c, lora).parameterCount();
        long t = (long) maxSeqLen * sequencesPerStep;
        // layer inputs kept for the backward pass, and one layer's recomputed graph (q, k, v, o, gate, up, down,
        // norms, residuals; attention scores and probabilities per head)
        long kept = (long) c.nLayer() * t * c.nEmbd() * 4;
        long graph = perLayerActivations(c, maxSeqLen) * sequencesPerStep;
        long working = widenedLayerBytes(c) + vocabChunkBytes(c, maxSeqLen) + kept + graph;
        // LoRA weights, Adam's two moments, gradients, a copy to continue from, checkpoint buffers
        long heap = 256 * MIB + 6 * 4 * loraParams + 16L * t * 2;
        return new MemoryPlan(name(gguf), baseBytes(gguf), working, roundUp(heap), roundUp(direct(gguf, loraParams)));
    }

    /** The plan for scoring sets of sequences of up to {@code maxSeqLen} tokens (8,192 tokens per pass). */
    public static MemoryPlan forEvaluation(GgufFile gguf, TransformerConfig c, LoraConfig lora, int maxSeqLen) {
        long loraParams = LoraWeights.zeros(c, lora).parameterCount();
        long passTokens = Math.max(8192, maxSeqLen);
        long working = widenedLayerBytes(c) + vocabChunkBytes(c, (int) Math.min(passTokens, 8192))
                + 2 * passTokens * c.nEmbd() * 4 + perLayerActivations(c, maxSeqLen);
        long heap = 256 * MIB + 3 * 4 * loraParams + 16L * passTokens * 4;
        return new MemoryPlan(name(gguf), baseBytes(gguf), working, roundUp(heap), roundUp(direct(gguf, loraParams)));
    }

    /** A plan covering both (one process that trains, then evaluates). */
    public static MemoryPlan larger(MemoryPlan a, MemoryPlan b) {
        return new MemoryPlan(a.modelName, Math.max(a.baseBytes, b.baseBytes), Math.max(a.workingBytes, b.workingBytes),
                Math.max(a.heapBytes, b.heapBytes), Math.max(a.directBytes, b.directBytes));
    }

    /** Bytes {@link BaseWeights} holds for this file: float16 for quantized and 16-bit tensors, float32 otherwise. */
    static long baseBytes(GgufFile gguf) {
        long bytes = 0;
        for (TensorInfo t : gguf.tensors()) {
            boolean matrix = t.shape().length >= 2 && t.shape()[1] > 1;
            boolean wide = !matrix || t.type() == GgmlType.F32 || t.type() == GgmlType.F64;
            bytes += t.elementCount() * (wide ? 4 : 2);
        }
        return bytes;
    }

    private static long perLayerActivations(TransformerConfig c, int t) {
        long perToken = 8L * c.nEmbd() + 2L * c.qDim() + 4L * c.kvDim() + 4L * c.nFf();
        long attention = 3L * c.nHead() * t * t;
        return (perToken * t + attention) * 4 * 2; // forward values and their gradients
    }

    private static long widenedLayerBytes(TransformerConfig c) {
        long params = (long) c.nEmbd() * (2L * c.qDim() + 2L * c.kvDim()) + 3L * c.nEmbd() * c.nFf();
        return params * 4 * 2; // the layer in float32, and the next one while the previous is released
    }

    private static long vocabChunkBytes(TransformerConfig c, int positions) {
        long rows = Math.min(c.vocabSize(), Math.max(1, (1 << 25) / c.nEmbd()));
        return rows * c.nEmbd() * 4 + 3L * positions * rows * 4;
    }

    /** The LoRA arrays of a step (made from Java values, then copied into PyTorch's memory), and slack. */
    private static long direct(GgufFile gguf, long loraParams) {
        return 4 * 4 * loraParams + 128 * MIB;
    }

    private static long roundUp(long bytes) {
        return (bytes + MIB - 1) / MIB * MIB;
    }

    private static String name(GgufFile gguf) {
        return gguf.modelInfo().name();
    }

    /** Thrown when a run would not fit in the memory the machine has free; the message says so in words. */
    public static final class NotEnoughMemoryException extends RuntimeException {
        public NotEnoughMemoryException(String message) {
            super(message);
        }
    }

    /**
     * @throws NotEnoughMemoryException when {@link #totalBytes} plus {@link #HEADROOM} exceeds {@code available}
     */
    public void requireFits(String what, long available) {
        if (totalBytes() + HEADROOM > available) {
            throw new NotEnoughMemoryException(what + " " + modelName + " needs about " + gb(totalBytes())
                    + " of memory; " + gb(available) + " " + (available == totalMemory().orElse(-1) ? "are installed"
                    : "are free now") + ". Close other programs, or choose a smaller model (see ./lifelong models "
                    + "list).");
        }
    }

    /** "5.6 GB". */
    public static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    /**
     * Memory available to a new process now: MemAvailable of /proc/meminfo on Linux, else the JVM's view of free
     * physical memory; {@code LIFELONG_AVAILABLE_MEMORY} (bytes, or with a G/M suffix) overrides both, for tests and
     * for users who want to cap training.
     */
    public static long availableMemory() {
        String override = System.getenv("LIFELONG_AVAILABLE_MEMORY");
        if (override != null && !override.isBlank()) return parseSize(override.trim());
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try {
                for (String line : Files.readAllLines(meminfo)) {
                    if (line.startsWith("MemAvailable:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // fall through to the JVM's view
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return Long.MAX_VALUE;
    }

    /** The peak resident memory of this process so far (VmHWM of /proc/self/status), or -1 where unknown. */
    public static long peakResidentBytes() {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) return -1;
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static OptionalLong totalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return OptionalLong.of(os.getTotalMemorySize());
        }
        return OptionalLong.empty();
    }

    static long parseSize(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        long factor = u.endsWith("G") ? 1L << 30 : u.endsWith("M") ? 1L << 20 : 1;
        String digits = factor == 1 ? u : u.substring(0, u.length() - 1);
        try {
            return (long) (Double.parseDouble(digits) * factor);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LIFELONG_AVAILABLE_MEMORY must be a size like 8G or 8000M, not '" + s + "'");
        }
    }
}
