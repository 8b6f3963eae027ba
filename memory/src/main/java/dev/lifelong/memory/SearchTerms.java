package dev.lifelong.memory;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The text that goes into the full-text indexes, and the FTS5 query for a search. SQLite's unicode61 tokenizer keeps a
 * run of Chinese characters as one token, so "我住在柏林" would only match itself; here each run of CJK characters
 * becomes its overlapping bigrams ("我住 住在 在柏 柏林"), the usual indexing for unsegmented scripts, so a two-character
 * word anywhere in a sentence is found. Latin text is left to unicode61 with the Porter stemmer ("lives" finds "live").
 * See docs/decisions/016-retrieval-memory.md.
 */
public final class SearchTerms {
    private SearchTerms() {
    }

    /** The indexed form of a text. */
    public static String index(String text) {
        return String.join(" ", tokens(text));
    }

    /**
     * An FTS5 MATCH expression that finds rows sharing any term with the query (ranked by BM25), or empty if the query
     * has no searchable term. Each term is quoted, so FTS5 operators typed by the user are plain words.
     */
    public static String matchAny(String query) {
        Set<String> terms = new LinkedHashSet<>();
        for (String t : tokens(query)) {
            if (t.isBlank() || isStopTerm(t)) continue;
            // a lone CJK character (a one-character run) also matches the bigrams that start with it
            boolean lone = t.codePointCount(0, t.length()) == 1 && isCjk(t.codePointAt(0));
            terms.add("\"" + t.replace("\"", "\"\"") + "\"" + (lone ? "*" : ""));
            if (terms.size() == 64) break; // a pasted page is not a query; FTS5 gets slow on thousands of ORs
        }
        return String.join(" OR ", terms);
    }

    /**
     * Question words and pronouns carry no topic ("what is my", "我…什么"), and "s" comes from every "user's": left in,
     * they match all memories and push the right one out of the top five (measured by the retrieval benchmark).
     */
    private static final Set<String> STOP_WORDS = Set.of("a", "an", "the", "is", "are", "am", "was", "were", "be", "been",
            "do", "does", "did", "what", "which", "who", "whom", "whose", "where", "when", "why", "how", "i", "me", "my",
            "mine", "myself", "you", "your", "s", "t", "d", "m", "ll", "re", "ve", "of", "to", "in", "on", "at", "for",
            "and", "or", "with", "that", "this", "it", "its", "have", "has", "had", "can", "could", "should", "would",
            "will", "please", "tell", "remember", "know", "about", "again", "any", "some", "there", "from", "by", "as");
    private static final String STOP_CJK = "我你他她它的了吗呢吧啊么什哪谁是在有";

    private static boolean isStopTerm(String term) {
        if (isCjk(term.codePointAt(0))) {
            return term.codePoints().allMatch(cp -> STOP_CJK.indexOf(cp) >= 0)
                    || term.codePoints().anyMatch(cp -> "我你什么哪吗呢".indexOf(cp) >= 0);
        }
        return STOP_WORDS.contains(term);
    }

    static List<String> tokens(String text) {
        String s = Normalizer.normalize(text, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        StringBuilder cjk = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (isCjk(cp)) {
                flushWord(word, out);
                cjk.appendCodePoint(cp);
            } else {
                flushCjk(cjk, out);
                if (Character.isLetterOrDigit(cp)) {
                    word.appendCodePoint(cp);
                } else {
                    flushWord(word, out);
                }
            }
        });
        flushWord(word, out);
        flushCjk(cjk, out);
        return out;
    }

    private static void flushWord(StringBuilder word, List<String> out) {
        if (!word.isEmpty()) {
            out.add(word.toString());
            word.setLength(0);
        }
    }

    private static void flushCjk(StringBuilder run, List<String> out) {
        if (run.isEmpty()) return;
        int[] cps = run.codePoints().toArray();
        if (cps.length == 1) {
            out.add(new String(cps, 0, 1));
        } else {
            for (int i = 0; i + 1 < cps.length; i++) out.add(new String(cps, i, 2));
        }
        run.setLength(0);
    }

    /**
     * Whether at least a third of the letters are Chinese, Japanese or Korean characters (one CJK character carries
     * about a word's meaning, so a third is a text written in that language with some Latin names in it).
     */
    public static boolean mostlyCjk(String text) {
        long cjk = text.codePoints().filter(SearchTerms::isCjk).count();
        long letters = text.codePoints().filter(Character::isLetter).count();
        return letters > 0 && cjk * 3 >= letters;
    }

    static boolean isCjk(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA || script == Character.UnicodeScript.HANGUL;
    }
}
