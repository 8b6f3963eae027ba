package dev.lifelong.lora;

import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.gguf.Quantizer;
import dev.lifelong.gguf.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * A standalone GGUF with a LoRA adapter folded into the base weights, for runtimes without adapter support:
 * {@code W' = W + (alpha / r) · B · A} for every adapted projection (GGUF layout: W has rows of length {@code in},
 * {@code lora_a} is r rows of {@code in}, {@code lora_b} is {@code out} rows of r). Metadata is copied; 2-D weights
 * are written as F16 or Q8_0, 1-D tensors (norms) as F32, as llama.cpp's converters do.
 */
public final class LoraMerger {
    private LoraMerger() {}

    /** Writes the merged model to {@code out} (temp file + fsync + rename); {@code weights} is F16 or Q8_0. */
    public static Path merge(Path base, Path adapter, GgmlType weights, Path out) throws IOException {
        if (weights != GgmlType.F16 && weights != GgmlType.Q8_0) throw new IllegalArgumentException("merged weights are F16 or Q8_0, not " + weights);
        try (GgufFile model = GgufReader.read(base); GgufFile lora = GgufReader.read(adapter)) {
            if (!"lora".equals(lora.findString("adapter.type").orElse(null))) throw new GgufFormatException(adapter + " is not a LoRA adapter");
            String arch = model.findString("general.architecture").orElse("");
            if (!arch.equals(lora.findString("general.architecture").orElse(""))) {
                throw new GgufFormatException(adapter + " is for " + lora.findString("general.architecture").orElse("?") + ", the model is " + arch);
            }
            Map<String, TensorInfo> a = new HashMap<>();
            Map<String, TensorInfo> b = new HashMap<>();
            for (TensorInfo t : lora.tensors()) {
                if (t.name().endsWith(".lora_a")) a.put(t.name().substring(0, t.name().length() - 7), t);
                else if (t.name().endsWith(".lora_b")) b.put(t.name().substring(0, t.name().length() - 7), t);
            }
            if (a.isEmpty() || !a.keySet().equals(b.keySet())) throw new GgufFormatException(adapter + " has no complete lora_a/lora_b pairs");
            for (String name : a.keySet()) {
                if (model.tensor(name).isEmpty()) throw new GgufFormatException(adapter + " adapts " + name + ", which " + base.getFileName() + " lacks");
            }
            GgufWriter w = GgufWriter.create();
            copyMetadata(model, w);
            w.putUInt32("general.file_type", weights == GgmlType.F16 ? 1 : 7);
            int rank = (int) a.values().iterator().next().shape()[1];
            float scale = lora.findFloat("adapter.lora.alpha").orElse((float) rank) / rank;
            for (TensorInfo t : model.tensors()) {
                boolean matrix = t.shape().length == 2 && t.shape()[0] % weights.blockSize() == 0;
                GgmlType type = matrix ? weights : GgmlType.F32;
                TensorInfo ta = a.get(t.name());
                TensorInfo tb = b.get(t.name());
                w.addTensor(t.name(), t.shape(), type, sink -> {
                    float[] values = Dequantizer.dequantize(model, t);
                    if (ta != null) addDelta(values, (int) t.shape()[0], (int) t.shape()[1], Dequantizer.dequantize(lora, ta),
                            Dequantizer.dequantize(lora, tb), (int) ta.shape()[1], scale);
                    if (type == GgmlType.Q8_0) sink.write(ByteBuffer.wrap(Quantizer.quantize(type, values)));
                    else sink.writeFloats(values, 0, values.length);
                });
            }
            return w.write(out);
        }
    }

    /** W[o][i] += scale · Σ_r B[o][r] · A[r][i]. */
    static void addDelta(float[] w, int in, int out, float[] a, float[] b, int rank, float scale) {
        if (a.length != rank * in || b.length != out * rank) throw new GgufFormatException("adapter shapes do not match the weight " + out + "x" + in);
        for (int o = 0; o < out; o++) {
            int row = o * in;
            for (int r = 0; r < rank; r++) {
                float s = scale * b[o * rank + r];
                if (s == 0f) continue;
                int ar = r * in;
                for (int i = 0; i < in; i++) w[row + i] += s * a[ar + i];
            }
        }
    }

    private static void copyMetadata(GgufFile f, GgufWriter w) {
        for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
            String k = e.getKey();
            if (k.equals("general.alignment") || k.equals("general.file_type")) continue;
            w.putValue(k, f.valueType(k).orElseThrow(), f.arrayElementType(k).orElse(null), e.getValue());
        }
    }
}
