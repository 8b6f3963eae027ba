package dev.lifelong.lora;

/**
 * AdamW (Loshchilov &amp; Hutter) over the LoRA parameters, by hand so its moments can be checkpointed:
 * m ← β1 m + (1-β1) g; v ← β2 v + (1-β2) g²; θ ← θ - lr (m̂ / (sqrt(v̂) + ε) + λ θ), with m̂ = m / (1-β1^t),
 * v̂ = v / (1-β2^t).
 */
final class AdamW {
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    /** Moments per parameter array, in the order of {@link #parameters(LoraWeights)}. */
    final float[][] m;
    final float[][] v;

    AdamW(TrainingConfig c, LoraWeights weights) {
        this.beta1 = c.beta1();
        this.beta2 = c.beta2();
        this.eps = c.eps();
        this.weightDecay = c.weightDecay();
        float[][] params = parameters(weights);
        m = new float[params.length][];
        v = new float[params.length][];
        for (int i = 0; i < params.length; i++) {
            m[i] = new float[params[i].length];
            v[i] = new float[params[i].length];
        }
    }

    /** A0, B0, A1, B1, ... (live arrays). */
    static float[][] parameters(LoraWeights w) {
        float[][] p = new float[2 * w.slots().size()][];
        for (int i = 0; i < w.slots().size(); i++) {
            p[2 * i] = w.a(i);
            p[2 * i + 1] = w.b(i);
        }
        return p;
    }

    /** One update with gradients {@code grads} (same layout as the parameters); {@code t} counts from 1. */
    void step(LoraWeights weights, float[][] grads, float lr, int t) {
        float[][] params = parameters(weights);
        // StrictMath: Math.pow is a JIT intrinsic whose last bits differ from the interpreter's, which made runs (and
        // resumed runs) differ depending on when the JIT kicked in
        double c1 = 1 - StrictMath.pow(beta1, t);
        double c2 = 1 - StrictMath.pow(beta2, t);
        for (int i = 0; i < params.length; i++) {
            float[] p = params[i];
            float[] g = grads[i];
            float[] mi = m[i];
            float[] vi = v[i];
            for (int j = 0; j < p.length; j++) {
                mi[j] = beta1 * mi[j] + (1 - beta1) * g[j];
                vi[j] = beta2 * vi[j] + (1 - beta2) * g[j] * g[j];
                double mHat = mi[j] / c1;
                double vHat = vi[j] / c2;
                p[j] = (float) (p[j] - lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * p[j]));
            }
        }
    }
}
