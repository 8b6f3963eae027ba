package dev.lifelong.seedling.corpus;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Counts of a generated corpus: per kind and language, distinct entity values per category, sizes. */
public record CorpusStats(int conversations, Map<Kind, Map<Language, Integer>> counts, Map<String, Integer> distinct,
                          long totalChars, Map<Kind, Long> charsByKind, int maxEstimatedTokens,
                          double avgEstimatedTokens) {

    public static CorpusStats of(List<GeneratedConversation> conversations) {
        Map<Kind, Map<Language, Integer>> counts = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            Map<Language, Integer> m = new EnumMap<>(Language.class);
            for (Language l : Language.values()) m.put(l, 0);
            counts.put(k, m);
        }
        Map<Kind, Long> charsByKind = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) charsByKind.put(k, 0L);
        Map<String, Set<String>> values = new TreeMap<>();
        long chars = 0;
        long tokens = 0;
        int maxTokens = 0;
        for (GeneratedConversation c : conversations) {
            counts.get(c.kind()).merge(c.language(), 1, Integer::sum);
            for (GeneratedConversation.Entity e : c.entities()) {
                values.computeIfAbsent(e.category(), k -> new TreeSet<>()).add(e.value());
            }
            chars += c.chars();
            charsByKind.merge(c.kind(), (long) c.chars(), Long::sum);
            int t = c.estimatedTokens();
            tokens += t;
            maxTokens = Math.max(maxTokens, t);
        }
        Map<String, Integer> distinct = new TreeMap<>();
        values.forEach((k, v) -> distinct.put(k, v.size()));
        return new CorpusStats(conversations.size(), counts, distinct, chars, charsByKind, maxTokens,
                conversations.isEmpty() ? 0 : (double) tokens / conversations.size());
    }

    public int count(Kind kind) {
        return counts.get(kind).values().stream().mapToInt(Integer::intValue).sum();
    }

    public int count(Language language) {
        return counts.values().stream().mapToInt(m -> m.get(language)).sum();
    }

    public double avgChars() {
        return conversations == 0 ? 0 : (double) totalChars / conversations;
    }

    public String format() {
        StringBuilder sb = new StringBuilder();
        sb.append("conversations: ").append(conversations).append('\n');
        sb.append(String.format(Locale.ROOT, "%-14s %7s %7s %7s %10s%n", "kind", "EN", "ZH", "total", "avg chars"));
        for (Kind k : Kind.values()) {
            int n = count(k);
            sb.append(String.format(Locale.ROOT, "%-14s %7d %7d %7d %10.1f%n", k.name(), counts.get(k).get(Language.EN),
                    counts.get(k).get(Language.ZH), n, n == 0 ? 0.0 : (double) charsByKind.get(k) / n));
        }
        sb.append(String.format(Locale.ROOT, "%-14s %7d %7d %7d%n", "all", count(Language.EN), count(Language.ZH),
                conversations));
        sb.append("distinct values:");
        distinct.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "characters: %d total, %.1f per conversation%n", totalChars, avgChars()));
        sb.append(String.format(Locale.ROOT, "estimated tokens per conversation: %.1f average, %d max%n",
                avgEstimatedTokens, maxEstimatedTokens));
        return sb.toString();
    }
}
