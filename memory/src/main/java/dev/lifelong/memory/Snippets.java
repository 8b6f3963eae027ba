package dev.lifelong.memory;

import java.util.Locale;

/** Short excerpts of a text around the first place a query's words occur, for search results. */
final class Snippets {
    private Snippets() {
    }

    static String around(String text, String query, int maxChars) {
        if (text.length() <= maxChars) return text;
        String lower = text.toLowerCase(Locale.ROOT);
        int at = -1;
        for (String term : SearchTerms.tokens(query)) {
            int i = lower.indexOf(term);
            if (i >= 0 && (at < 0 || i < at)) at = i;
        }
        int start = Math.max(0, (at < 0 ? 0 : at) - maxChars / 3);
        int end = Math.min(text.length(), start + maxChars);
        start = Math.max(0, end - maxChars);
        if (start > 0 && Character.isLowSurrogate(text.charAt(start))) start++;
        if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) end--;
        return (start > 0 ? "…" : "") + text.substring(start, end).strip() + (end < text.length() ? "…" : "");
    }
}
