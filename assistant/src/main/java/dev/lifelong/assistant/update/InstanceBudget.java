package dev.lifelong.assistant.update;

import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import java.nio.file.Path;

/**
 * How many per-user adapter instances fit in memory. Each adapter is served by a llama.cpp instance of its own over
 * the same memory-mapped base file, so an instance costs its KV cache (the slots' context, twice over for headroom,
 * f16 keys and values of every layer), its compute buffer (dominated by one micro-batch of logits: vocabulary × 512
 * × 4 bytes) and the adapter. Measured at Qwen2.5-1.5B: KV 224 MiB, compute 305 MiB, adapter 35 MiB. Instances may
 * use half of the memory that is available; the rest stays for the base's pages, the nightly update and the system.
 *
 * @param perInstanceBytes what one instance is expected to hold
 */
public record InstanceBudget(long perInstanceBytes, int maxInstances) {
    /** llama.cpp b4916's default micro-batch (n_ubatch). */
    static final int MICRO_BATCH = 512;
    static final int KV_HEADROOM = 2;
    /** Never fewer than one (the user being answered), never more than this many resident instances. */
    static final int CEILING = 16;

    public static InstanceBudget of(Path model, RuntimeOptions options, long adapterBytes, long available) {
        long perInstance;
        try (GgufFile f = GgufReader.read(model)) {
            String arch = f.findString("general.architecture").orElse("llama");
            long layers = f.findLong(arch + ".block_count").orElse(0L);
            long embd = f.findLong(arch + ".embedding_length").orElse(0L);
            long heads = Math.max(1, f.findLong(arch + ".attention.head_count").orElse(1L));
            long kvHeads = f.findLong(arch + ".attention.head_count_kv").orElse(heads);
            long headDim = f.findLong(arch + ".attention.key_length").orElse(embd / heads);
            long vocab = f.modelInfo().vocabSize();
            long cells = (long) options.contextSize() * options.parallel() * KV_HEADROOM;
            long kv = cells * layers * 2 * kvHeads * headDim * 2;
            long compute = vocab * MICRO_BATCH * 4 + (long) MICRO_BATCH * embd * 4 * 16;
            perInstance = kv + compute + adapterBytes;
        }
        int fit = (int) Math.min(CEILING, Math.max(1, (available / 2) / Math.max(1, perInstance)));
        return new InstanceBudget(perInstance, fit);
    }
}
