package dev.lifelong.lora;

import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.TensorInfo;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads a GGUF LoRA adapter (as {@link GgufLoraWriter} writes it, or any llama.cpp adapter of the same layout) back
 * into {@link LoraWeights}, so the next nightly update can continue from the adapter serving now.
 */
public final class GgufLoraReader {
    private GgufLoraReader() {
    }

    /**
     * @param seed the seed recorded in the returned config (it only matters for dropout masks of further training)
     * @throws GgufFormatException if the file is not a LoRA adapter for a model of {@code model}'s shape
     */
    public static LoraWeights read(Path adapter, TransformerConfig model, long seed) {
        try (GgufFile f = GgufReader.read(adapter)) {
            if (!"adapter".equals(f.findString("general.type").orElse(null)) || !"lora".equals(f.findString("adapter.type").orElse(null))) {
                throw new GgufFormatException(adapter + " is not a LoRA adapter (general.type / adapter.type)");
            }
            if (!model.architecture().equals(f.findString("general.architecture").orElse(""))) {
                throw new GgufFormatException(adapter + " is an adapter for " + f.findString("general.architecture").orElse("an unknown architecture")
                        + ", not " + model.architecture());
            }
            Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
            int rank = -1;
            for (LoraTarget t : LoraTarget.values()) {
                var a = f.tensor(t.tensorName(0) + ".lora_a");
                if (a.isEmpty()) continue;
                targets.add(t);
                rank = (int) a.get().shape()[1];
            }
            if (targets.isEmpty()) throw new GgufFormatException(adapter + " adapts no projection of layer 0");
            float alpha = f.findFloat("adapter.lora.alpha").orElse((float) rank);
            LoraWeights w = LoraWeights.zeros(model, new LoraConfig(targets, rank, alpha, 0f, seed));
            for (int i = 0; i < w.slots().size(); i++) {
                LoraWeights.Slot s = w.slots().get(i);
                TensorInfo a = f.tensor(s.baseTensor() + ".lora_a").orElseThrow(() -> new GgufFormatException(adapter + " lacks " + s.baseTensor() + ".lora_a"));
                TensorInfo b = f.tensor(s.baseTensor() + ".lora_b").orElseThrow(() -> new GgufFormatException(adapter + " lacks " + s.baseTensor() + ".lora_b"));
                if (a.shape()[0] != s.in() || a.shape()[1] != rank || b.shape()[0] != rank || b.shape()[1] != s.out()) {
                    throw new GgufFormatException(adapter + ": " + s.baseTensor() + " has the wrong shape for this model");
                }
                System.arraycopy(Dequantizer.dequantize(f, a), 0, w.a(i), 0, w.a(i).length);
                System.arraycopy(Dequantizer.dequantize(f, b), 0, w.b(i), 0, w.b(i).length);
            }
            return w;
        }
    }
}
