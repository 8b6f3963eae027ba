package dev.lifelong.seedling.training;

/**
 * The shape of a seedling model: a llama-architecture decoder trained from scratch.
 *
 * @param tiedEmbeddings the output layer is the token embedding (no {@code output.weight})
 */
public record SeedlingModelConfig(int vocabSize, int nLayer, int nEmbd, int nHead, int nHeadKv, int nFf,
        int contextLength, float ropeTheta, float rmsEps, boolean tiedEmbeddings) {
    public SeedlingModelConfig {
        if (vocabSize < 2 || nLayer < 1 || nEmbd < 2 || nHead < 1 || nHeadKv < 1 || nFf < 1 || contextLength < 2
                || !(ropeTheta > 0) || !(rmsEps > 0)) {
            throw new IllegalArgumentException("invalid model config: " + this);
        }
        if (nEmbd % nHead != 0 || nHead % nHeadKv != 0 || (nEmbd / nHead) % 2 != 0) {
            throw new IllegalArgumentException("nEmbd must split into nHead heads of even size and nHead into nHeadKv "
                    + "groups: " + this);
        }
    }

    /** 6 layers, width 384, 6 heads (2 key/value heads), SwiGLU 1024, vocabulary 4096, context 1024, tied. */
    public static SeedlingModelConfig defaults() {
        return new SeedlingModelConfig(4096, 6, 384, 6, 2, 1024, 1024, 10000f, 1e-5f, true);
    }

    public SeedlingModelConfig withVocabSize(int v) {
        return new SeedlingModelConfig(v, nLayer, nEmbd, nHead, nHeadKv, nFf, contextLength, ropeTheta, rmsEps,
                tiedEmbeddings);
    }

    public SeedlingModelConfig withTiedEmbeddings(boolean v) {
        return new SeedlingModelConfig(vocabSize, nLayer, nEmbd, nHead, nHeadKv, nFf, contextLength, ropeTheta, rmsEps,
                v);
    }

    public int headDim() {
        return nEmbd / nHead;
    }

    public int kvDim() {
        return nHeadKv * headDim();
    }

    /** Parameters of one block: q, k, v, o, gate, up, down and two norms. */
    public long blockParameters() {
        long e = nEmbd;
        return e * e * 2 + 2 * e * kvDim() + 3 * e * nFf + 2 * e;
    }

    public long parameterCount() {
        long embd = (long) vocabSize * nEmbd;
        return embd + (tiedEmbeddings ? 0 : embd) + nLayer * blockParameters() + nEmbd;
    }

    /**
     * Training FLOPs per token at context {@code t} (forward + backward = 3 × forward): 6 × the matrix parameters used
     * per token (the embedding lookup is free, the output projection is not) plus attention's 2 × 2·t·d per layer
     * forward (scores and weighted sum over t/2 keys on average in causal attention: 6 · nLayer · t · nEmbd).
     */
    public double trainingFlopsPerToken(int t) {
        double matmul = nLayer * (double) (blockParameters() - 2L * nEmbd) + (double) vocabSize * nEmbd;
        return 6 * matmul + 6.0 * nLayer * t * nEmbd;
    }
}
