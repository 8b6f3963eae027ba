package dev.lifelong.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.TensorInfo;
import java.util.ArrayList;
import java.util.List;

/**
 * The frozen weights of the base model as NDArrays. A GGUF weight of ggml shape ne = [in, out] is row-major
 * [out][in] (PyTorch's Linear layout); projections are held as its transposed view [in][out], so {@code y = x · w}
 * and every operation's result belongs to the manager of its left operand, the per-call activations.
 */
public final class BaseWeights {
    /** One transformer block; projections are [in][out] views. Biases are null where the architecture has none. */
    public record Layer(NDArray attnNorm, NDArray wq, NDArray wk, NDArray wv, NDArray wo, NDArray bq, NDArray bk,
            NDArray bv, NDArray ffnNorm, NDArray wGate, NDArray wUp, NDArray wDown) {
        public NDArray weight(LoraTarget t) {
            return switch (t) {
                case Q -> wq;
                case K -> wk;
                case V -> wv;
                case O -> wo;
                case GATE -> wGate;
                case UP -> wUp;
                case DOWN -> wDown;
            };
        }
    }

    private final NDArray tokenEmbedding;
    private final List<Layer> layers;
    private final NDArray outputNorm;
    private final NDArray output;

    private BaseWeights(NDArray tokenEmbedding, List<Layer> layers, NDArray outputNorm, NDArray output) {
        this.tokenEmbedding = tokenEmbedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
    }

    /** Loads every tensor the config needs, dequantized, into {@code manager} as {@code dtype} (FLOAT32 or FLOAT64). */
    public static BaseWeights load(GgufFile gguf, TransformerConfig c, NDManager manager, DataType dtype) {
        Loader l = new Loader(gguf, manager, dtype);
        NDArray embd = l.rows("token_embd.weight", c.vocabSize(), c.nEmbd());
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < c.nLayer(); i++) {
            String p = "blk." + i + ".";
            layers.add(new Layer(
                    l.vector(p + "attn_norm.weight", c.nEmbd()),
                    l.matrix(p + "attn_q.weight", c.qDim(), c.nEmbd()),
                    l.matrix(p + "attn_k.weight", c.kvDim(), c.nEmbd()),
                    l.matrix(p + "attn_v.weight", c.kvDim(), c.nEmbd()),
                    l.matrix(p + "attn_output.weight", c.nEmbd(), c.qDim()),
                    c.qkvBias() ? l.vector(p + "attn_q.bias", c.qDim()) : null,
                    c.qkvBias() ? l.vector(p + "attn_k.bias", c.kvDim()) : null,
                    c.qkvBias() ? l.vector(p + "attn_v.bias", c.kvDim()) : null,
                    l.vector(p + "ffn_norm.weight", c.nEmbd()),
                    l.matrix(p + "ffn_gate.weight", c.nFf(), c.nEmbd()),
                    l.matrix(p + "ffn_up.weight", c.nFf(), c.nEmbd()),
                    l.matrix(p + "ffn_down.weight", c.nEmbd(), c.nFf())));
        }
        NDArray norm = l.vector("output_norm.weight", c.nEmbd());
        NDArray out = c.tiedOutput() ? embd : l.rows("output.weight", c.vocabSize(), c.nEmbd());
        return new BaseWeights(embd, layers, norm, out.transpose());
    }

    /** [vocab][nEmbd]. */
    public NDArray tokenEmbedding() {
        return tokenEmbedding;
    }

    public List<Layer> layers() {
        return layers;
    }

    public NDArray outputNorm() {
        return outputNorm;
    }

    /** [nEmbd][vocab]; a view of the token embedding when the model ties them. */
    public NDArray output() {
        return output;
    }

    private record Loader(GgufFile gguf, NDManager manager, DataType dtype) {
        /** A projection out x in, as its [in][out] view. */
        NDArray matrix(String name, int out, int in) {
            return rows(name, out, in).transpose();
        }

        NDArray rows(String name, int rows, int cols) {
            return load(name, new long[] {cols, rows}, new Shape(rows, cols));
        }

        NDArray vector(String name, int n) {
            return load(name, new long[] {n}, new Shape(n));
        }

        private NDArray load(String name, long[] ggmlShape, Shape shape) {
            TensorInfo t = gguf.tensor(name).orElseThrow(() -> new GgufFormatException(gguf.path()
                    + ": tensor '" + name + "' is missing"));
            long[] ne = t.shape();
            long[] trimmed = ne.length > ggmlShape.length && ne[ne.length - 1] == 1
                    ? java.util.Arrays.copyOf(ne, ggmlShape.length) : ne;
            if (!java.util.Arrays.equals(trimmed, ggmlShape)) {
                throw new GgufFormatException(gguf.path() + ": tensor '" + name + "' has shape "
                        + java.util.Arrays.toString(ne) + ", expected " + java.util.Arrays.toString(ggmlShape));
            }
            NDArray a = manager.create(Dequantizer.dequantize(gguf, t), shape);
            return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
        }
    }
}
