package dev.lifelong.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides whether a candidate adapter may replace the serving one. "Before" is the serving model (the previous
 * adapter, or the base model when there is none); every figure is stored with the version whatever the verdict.
 */
public final class EvaluationGate {
    private EvaluationGate() {
    }

    /**
     * The measured figures (mean cross-entropy per loss token; accuracies in [0, 1]). Nullable ones were not measurable
     * (no earlier data yet, no memories).
     *
     * @param newInSample the new examples were too few to hold some out, so plasticity is measured on training data
     */
    public record Metrics(double newBefore, double newAfter, boolean newInSample, Double oldBefore, Double oldAfter,
            double generalBase, double generalBefore, double generalAfter, Double factsBefore, Double factsAfter, int facts) {
        /** Relative drop of the new-data loss: learning. */
        public double plasticity() {
            return (newBefore - newAfter) / newBefore;
        }

        /** Relative change of the earlier-data loss (negative = backward transfer, positive = forgetting). */
        public Double stabilityChange() {
            return oldBefore == null ? null : (oldAfter - oldBefore) / oldBefore;
        }

        public double generalChange() {
            return (generalAfter - generalBase) / generalBase;
        }
    }

    public record Verdict(boolean promote, List<String> reasons) {
        public String summary() {
            return (promote ? "promoted: " : "rejected: ") + String.join("; ", reasons);
        }
    }

    /**
     * Earlier-data loss may always rise by this much (nats per token) whatever the relative change: measured on the
     * seedling (learning benchmark), losses near zero (0.012 → 0.074) made the relative rule reject candidates that had
     * forgotten nothing measurable.
     */
    static final double STABILITY_ABSOLUTE_SLACK = 0.02;

    public static Verdict judge(Metrics m, UpdateSettings.Gate g) {
        List<String> failed = new ArrayList<>();
        List<String> passed = new ArrayList<>();
        double p = m.plasticity();
        String plasticity = String.format(Locale.ROOT, "new-data loss %.4f → %.4f (%+.1f%%%s, need ≤ %+.1f%%)", m.newBefore(), m.newAfter(),
                -100 * p, m.newInSample() ? ", on training data: too few new examples to hold out" : "", -100 * g.minPlasticityGain());
        (Double.isFinite(p) && p >= g.minPlasticityGain() ? passed : failed).add(plasticity);
        if (m.stabilityChange() != null) {
            double s = m.stabilityChange();
            boolean ok = Double.isFinite(s) && (s <= g.maxStabilityLoss() || m.oldAfter() - m.oldBefore() <= STABILITY_ABSOLUTE_SLACK);
            (ok ? passed : failed).add(String.format(Locale.ROOT, "earlier-data loss %.4f → %.4f (%+.1f%%, allowed ≤ %+.1f%% or +%.2f)",
                    m.oldBefore(), m.oldAfter(), 100 * s, 100 * g.maxStabilityLoss(), STABILITY_ABSOLUTE_SLACK));
        }
        double gc = m.generalChange();
        (Double.isFinite(gc) && gc <= g.maxGeneralLoss() ? passed : failed).add(String.format(Locale.ROOT,
                "general-probe loss %.4f vs base %.4f (%+.1f%%, allowed ≤ %+.1f%%)", m.generalAfter(), m.generalBase(), 100 * gc, 100 * g.maxGeneralLoss()));
        if (m.factsAfter() != null && m.factsBefore() != null) {
            double drop = m.factsBefore() - m.factsAfter();
            (drop <= g.maxFactAccuracyDrop() + 1e-12 ? passed : failed).add(String.format(Locale.ROOT,
                    "closed-book facts %.0f%% → %.0f%% of %d", 100 * m.factsBefore(), 100 * m.factsAfter(), m.facts()));
        }
        List<String> reasons = new ArrayList<>();
        reasons.addAll(failed);
        reasons.addAll(passed);
        return new Verdict(failed.isEmpty(), reasons);
    }
}
