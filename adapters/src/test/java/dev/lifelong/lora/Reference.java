package dev.lifelong.lora;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.lifelong.gguf.RandomLlamaModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Greedy generation by llama.cpp (the reference) and by the trainer's forward, token by token. */
final class Reference {
    static final String PROMPT = "<|im_start|>user\nTell me a story<|im_end|>\n<|im_start|>assistant\n";

    static final List<String> PROBE_PROMPTS = List.of(PROMPT, "Hello world",
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\nIt is");

    /**
     * llama.cpp's next-token decision at the end of a prompt: the greedy token, the runner-up, and the logit gap
     * between them, measured by bisecting the logit bias on the greedy token at which greedy decoding switches.
     */
    record Decision(String top, String runnerUp, double gap) {
    }

    private Reference() {
    }

    /**
     * One PyTorch thread: the test machines have 2 shared cores, and llama.cpp runs in the same JVM (training after
     * llama.cpp has run is not trusted in-process at all: see {@link TrainAdapterMain}).
     */
    static void singleThreadedTorch() {
        TransformerModel.computeThreads(1);
    }

    static LlamaModel load(Path model, Path adapter) {
        ModelParameters p = new ModelParameters().setModel(model.toString()).setCtxSize(256).setThreads(2)
                .setGpuLayers(0);
        if (adapter != null) {
            p.addLoraAdapter(adapter.toString());
        }
        return new LlamaModel(p);
    }

    /**
     * llama.cpp's final-normed hidden state of the last token of {@code text} (an embedding context with last-token
     * pooling; the server L2-normalises it, so compare directions).
     */
    static float[] llamaCppLastHidden(Path model, String text) {
        // (java-llama.cpp 4.2.0's embeddings ignore LoRA adapters loaded with the model: compare adapters on completions)
        try (LlamaModel m = new LlamaModel(new ModelParameters().setModel(model.toString()).setCtxSize(256)
                .setThreads(2).setGpuLayers(0).enableEmbedding()
                .setPoolingType(de.kherud.llama.args.PoolingType.LAST))) {
            return m.embed(text);
        }
    }

    /** 1 − cosine similarity. */
    static double cosineDistance(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return 1 - dot / Math.sqrt(na * nb);
    }

    /**
     * llama.cpp's greedy continuation as token texts. (Not {@code setNProbs}: java-llama.cpp 4.2.0 reads keys the
     * b4916 server no longer writes and aborts the JVM on a failed GGML_ASSERT in json.hpp.)
     */
    static List<String> llamaCpp(LlamaModel model, String prompt, int n) {
        return llamaCpp(model, prompt, n, Map.of());
    }

    private static List<String> llamaCpp(LlamaModel model, String prompt, int n, Map<Integer, Float> bias) {
        List<String> texts = new ArrayList<>();
        // No prompt cache: with an adapter added at load, java-llama.cpp 4.2.0 answered a repeated prompt differently
        // from its first completion once the first had run with the cache on (base models are unaffected).
        InferenceParameters p = new InferenceParameters(prompt).setNPredict(n).setTemperature(0).setSeed(1)
                .setCachePrompt(false);
        if (!bias.isEmpty()) {
            p.setTokenIdBias(bias);
        }
        for (LlamaOutput out : model.generate(p)) {
            if (!out.text.isEmpty()) { // the stream ends with an empty final message
                texts.add(out.text);
            }
        }
        return texts;
    }

    static Decision llamaCppDecision(LlamaModel model, String prompt) {
        String top = llamaCpp(model, prompt, 1).get(0);
        int[] topIds = model.encode(top);
        if (topIds.length != 1) {
            throw new IllegalStateException("greedy token '" + top + "' does not encode to one token");
        }
        double lo = 0;
        double hi = 1;
        while (llamaCpp(model, prompt, 1, Map.of(topIds[0], (float) -hi)).get(0).equals(top)) {
            lo = hi;
            hi *= 2;
        }
        for (int i = 0; i < 20; i++) {
            double mid = (lo + hi) / 2;
            if (llamaCpp(model, prompt, 1, Map.of(topIds[0], (float) -mid)).get(0).equals(top)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        String runnerUp = llamaCpp(model, prompt, 1, Map.of(topIds[0], (float) -(hi + 1e-3))).get(0);
        return new Decision(top, runnerUp, (lo + hi) / 2);
    }

    static Decision trainerDecision(TransformerModel model, LoraWeights lora, LlamaModel tokenizer, String prompt) {
        int[] ids = tokenizer.encode(prompt);
        float[] logits = model.logitsAt(ids, lora, new int[] {ids.length - 1})[0];
        int top = 0;
        for (int v = 1; v < logits.length; v++) {
            if (logits[v] > logits[top]) {
                top = v;
            }
        }
        int second = top == 0 ? 1 : 0;
        for (int v = 0; v < logits.length; v++) {
            if (v != top && logits[v] > logits[second]) {
                second = v;
            }
        }
        return new Decision(tokenizer.decode(new int[] {top}), tokenizer.decode(new int[] {second}),
                (double) logits[top] - logits[second]);
    }

    /** The trainer's greedy continuation; {@code probs} receives the softmax of each step. */
    static List<Integer> trainer(TransformerModel model, LoraWeights lora, int[] prompt, int n, List<double[]> probs) {
        List<Integer> ids = new ArrayList<>();
        int[] seq = prompt.clone();
        for (int i = 0; i < n; i++) {
            float[] logits = model.logitsAt(seq, lora, new int[] {seq.length - 1})[0];
            double[] p = softmax(logits);
            int best = 0;
            for (int v = 1; v < logits.length; v++) {
                if (logits[v] > logits[best]) {
                    best = v;
                }
            }
            if (best == RandomLlamaModel.IM_END_ID || best == RandomLlamaModel.EOS_ID) {
                break;
            }
            ids.add(best);
            probs.add(p);
            seq = java.util.Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = best;
        }
        return ids;
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
