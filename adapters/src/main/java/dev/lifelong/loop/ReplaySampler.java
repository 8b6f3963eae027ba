package dev.lifelong.loop;

import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Picks the replay share of the nightly dataset: {@code max(minimum, round(ratio · earlier))} earlier examples (never
 * more than there are), stratified by calendar month (UTC) in proportion to each month's size, so a busy last week
 * cannot crowd out older months; the largest remainders get the leftover places, and every month gets at least
 * one place when there are at least as many places as months. Deterministic for a seed. Scialom et al. (2022) found 1% rehearsal enough to keep
 * earlier skills of a continually fine-tuned LLM; 1% is the default ratio.
 */
public final class ReplaySampler {
    private ReplaySampler() {
    }

    /** The sample and how many came from each month. */
    public record Sample(List<DatasetExample> examples, int poolSize, double ratio, int minimum, Map<String, Integer> perMonth) {
    }

    public static int targetCount(int pool, double ratio, int minimum) {
        if (!(ratio >= 0 && ratio <= 1)) throw new IllegalArgumentException("replay ratio must be between 0 and 1, not " + ratio);
        if (minimum < 0) throw new IllegalArgumentException("replay minimum must be >= 0");
        if (ratio == 0 && minimum == 0) return 0;
        return Math.min(pool, Math.max(minimum, (int) Math.round(ratio * pool)));
    }

    public static Sample sample(List<DatasetExample> pool, double ratio, int minimum, long seed) {
        int target = targetCount(pool.size(), ratio, minimum);
        TreeMap<YearMonth, List<DatasetExample>> months = new TreeMap<>();
        for (DatasetExample e : pool) months.computeIfAbsent(YearMonth.from(e.at().atOffset(ZoneOffset.UTC)), k -> new ArrayList<>()).add(e);
        Map<YearMonth, Integer> places = allocate(months, pool.size(), target);
        List<DatasetExample> out = new ArrayList<>();
        Map<String, Integer> perMonth = new LinkedHashMap<>();
        for (var m : months.entrySet()) {
            int k = places.getOrDefault(m.getKey(), 0);
            if (k == 0) continue;
            List<DatasetExample> items = new ArrayList<>(m.getValue());
            items.sort(Comparator.comparing(DatasetExample::at).thenComparing(e -> e.sourceMessageId() == null ? -1 : e.sourceMessageId()));
            SplittableRandom r = new SplittableRandom(seed * 31 + m.getKey().getYear() * 12L + m.getKey().getMonthValue());
            for (int i = 0; i < k; i++) {
                int j = i + r.nextInt(items.size() - i);
                DatasetExample t = items.get(i);
                items.set(i, items.get(j));
                items.set(j, t);
                out.add(items.get(i));
            }
            perMonth.put(m.getKey().toString(), k);
        }
        return new Sample(out, pool.size(), ratio, minimum, perMonth);
    }

    static Map<YearMonth, Integer> allocate(TreeMap<YearMonth, List<DatasetExample>> months, int pool, int target) {
        Map<YearMonth, Integer> places = new LinkedHashMap<>();
        if (target == 0 || pool == 0) return places;
        // Hamilton apportionment: floors of the exact shares, the leftover places to the largest remainders.
        List<Map.Entry<YearMonth, Double>> remainders = new ArrayList<>();
        int given = 0;
        for (var m : months.entrySet()) {
            double exact = (double) target * m.getValue().size() / pool;
            int floor = (int) Math.floor(exact);
            places.put(m.getKey(), floor);
            given += floor;
            remainders.add(Map.entry(m.getKey(), exact - floor));
        }
        remainders.sort(Comparator.<Map.Entry<YearMonth, Double>>comparingDouble(Map.Entry::getValue).reversed()
                .thenComparing(Map.Entry::getKey));
        for (int i = 0; given < target && i < remainders.size(); i++) {
            places.merge(remainders.get(i).getKey(), 1, Integer::sum);
            given++;
        }
        // Every month keeps a voice when there are enough places: an empty month (oldest first) takes one from the
        // month with the most places (the newest on a tie).
        if (target >= months.size()) {
            for (YearMonth empty : months.keySet()) {
                if (places.get(empty) > 0) continue;
                YearMonth richest = null;
                for (YearMonth k : months.descendingKeySet()) {
                    if (richest == null || places.get(k) > places.get(richest)) richest = k;
                }
                places.merge(richest, -1, Integer::sum);
                places.put(empty, 1);
            }
        }
        return places;
    }
}
