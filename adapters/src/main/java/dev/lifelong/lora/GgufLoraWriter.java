package dev.lifelong.lora;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes LoRA weights as a GGUF adapter llama.cpp b4916 loads ({@code --lora}, {@code addLoraAdapter}):
 * {@code general.type=adapter}, {@code adapter.type=lora}, {@code adapter.lora.alpha} (f32; llama.cpp scales by
 * alpha / rank), the base's {@code general.architecture}, and per adapted tensor {@code <base>.lora_a} with ggml
 * ne = [in, r] (row-major A[r][in]) and {@code <base>.lora_b} with ne = [r, out] (row-major B[out][r]), F32.
 */
public final class GgufLoraWriter {
    private GgufLoraWriter() {
    }

    /** Writes atomically (temp file, fsync, rename) and returns {@code target}. */
    public static Path write(Path target, TransformerConfig base, LoraWeights lora) throws IOException {
        int r = lora.config().rank();
        GgufWriter w = GgufWriter.create()
                .putString("general.type", "adapter")
                .putString("general.architecture", base.architecture())
                .putString("general.name", "lifelong-lora")
                .putString("adapter.type", "lora")
                .putFloat32("adapter.lora.alpha", lora.config().alpha());
        for (int i = 0; i < lora.slots().size(); i++) {
            LoraWeights.Slot s = lora.slots().get(i);
            w.addTensor(s.baseTensor() + ".lora_a", new long[] {s.in(), r}, GgmlType.F32, lora.a(i));
            w.addTensor(s.baseTensor() + ".lora_b", new long[] {r, s.out()}, GgmlType.F32, lora.b(i));
        }
        return w.write(target);
    }
}
