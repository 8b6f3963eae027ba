package dev.lifelong.loop;

import java.util.List;
import java.util.Locale;

/**
 * A closed-book question made from a memory: the memory's beginning as a cue, its final value as the answer
 * ("The user's sister is called" → "Tove"). The adapter is trained on these and the gate measures how many it answers
 * exactly without the memory in the prompt — whether the adapter itself knows the user.
 */
public record FactProbe(String question, String answer) {
    static final String ENGLISH_QUESTION = "Complete this fact about me from what you have learned: ";
    static final String CHINESE_QUESTION = "根据你学到的，补全关于我的这条信息：";
    private static final List<String> LINKS = List.of("is called", "is named", "are called", "is", "are", "was", "were",
            "lives in", "live in", "works as", "works at", "works for", "in", "at", "on", "to", "likes", "loves",
            "prefers", "enjoys", "has", "owns", "speaks", "from");
    private static final List<String> CHINESE_LINKS = List.of("叫做", "名叫", "叫", "是", "住在", "在", "喜欢", "爱", "有", "为");
    private static final int MAX_ANSWER_WORDS = 6;
    private static final int MAX_ANSWER_CHARS = 12;

    /** The probe for a memory's text, or null when it has no cue/answer shape (too short). */
    public static FactProbe of(String text) {
        String t = text.strip();
        while (!t.isEmpty() && isFinalPunctuation(t.charAt(t.length() - 1))) t = t.substring(0, t.length() - 1).strip();
        if (t.isEmpty()) return null;
        boolean chinese = t.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN);
        int split = chinese ? chineseSplit(t) : englishSplit(t);
        if (split <= 0 || split >= t.length()) return null;
        String cue = t.substring(0, split).strip();
        String answer = t.substring(split).strip();
        if (cue.isEmpty() || answer.isEmpty()) return null;
        return new FactProbe((chinese ? CHINESE_QUESTION : ENGLISH_QUESTION) + cue + (chinese ? "……" : " …"), answer);
    }

    private static int englishSplit(String t) {
        String lower = t.toLowerCase(Locale.ROOT);
        int best = -1;
        for (String link : LINKS) {
            int at = lower.lastIndexOf(" " + link + " ");
            if (at < 0) continue;
            int end = at + link.length() + 2;
            String answer = t.substring(end);
            if (answer.isBlank() || answer.strip().split("\\s+").length > MAX_ANSWER_WORDS) continue;
            if (end > best) best = end;
        }
        if (best > 0) return best;
        int lastSpace = t.lastIndexOf(' ');
        return lastSpace > 0 ? lastSpace + 1 : -1;
    }

    private static int chineseSplit(String t) {
        int best = -1;
        for (String link : CHINESE_LINKS) {
            int at = t.lastIndexOf(link);
            if (at < 0) continue;
            int end = at + link.length();
            int len = t.length() - end;
            if (len < 1 || len > MAX_ANSWER_CHARS) continue;
            if (end > best) best = end;
        }
        if (best > 0) return best;
        return t.length() > 3 ? t.length() - 2 : -1;
    }

    private static boolean isFinalPunctuation(char c) {
        return c == '.' || c == '!' || c == '。' || c == '！' || c == ';' || c == '；';
    }
}
