package dev.lifelong.assistant.bench;

/**
 * The continual-learning figures of an accuracy matrix {@code R[i][j]}: accuracy on the facts of day {@code j} after the
 * update of day {@code i} (both 0-based, T days), and {@code base[j]}, the accuracy on day {@code j}'s facts before any
 * training. Definitions as in GEM (Lopez-Paz &amp; Ranzato 2017) for ACC, BWT, FWT and Chaudhry et al. (2018) for
 * forgetting:
 * <ul>
 *   <li>ACC = mean over j of R[T-1][j]</li>
 *   <li>BWT = mean over j &lt; T-1 of R[T-1][j] − R[j][j] (negative = forgetting)</li>
 *   <li>FWT = mean over j ≥ 1 of R[j-1][j] − base[j] (what earlier days taught about a day not yet seen)</li>
 *   <li>forgetting = mean over j &lt; T-1 of max over j ≤ l &lt; T-1 of R[l][j] − R[T-1][j]</li>
 * </ul>
 */
public record ContinualMetrics(double acc, double bwt, double fwt, double forgetting) {

    public static ContinualMetrics of(double[][] r, double[] base) {
        int t = r.length;
        if (t == 0 || base.length != t) throw new IllegalArgumentException("R must be T×T and base of length T");
        for (double[] row : r) if (row.length != t) throw new IllegalArgumentException("R must be square");
        double acc = 0;
        for (int j = 0; j < t; j++) acc += r[t - 1][j];
        acc /= t;
        if (t == 1) return new ContinualMetrics(acc, 0, 0, 0);
        double bwt = 0;
        double forgetting = 0;
        for (int j = 0; j < t - 1; j++) {
            bwt += r[t - 1][j] - r[j][j];
            double best = Double.NEGATIVE_INFINITY;
            for (int l = j; l < t - 1; l++) best = Math.max(best, r[l][j]);
            forgetting += best - r[t - 1][j];
        }
        double fwt = 0;
        for (int j = 1; j < t; j++) fwt += r[j - 1][j] - base[j];
        return new ContinualMetrics(acc, bwt / (t - 1), fwt / (t - 1), forgetting / (t - 1));
    }
}
