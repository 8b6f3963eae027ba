package dev.lifelong.memory.retrieval;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memories are written in the third person ("The user lives in Berlin", "用户住在柏林", as the extraction schema asks),
 * while the user asks in the first person ("Where do I live?"). Embedding the question as "Where does the user live?"
 * puts it next to the memory it is about; measured by {@code ./bench/run retrieval} (decision 016).
 */
final class QueryRewriter {
    private static final Pattern EN = Pattern.compile("\\b(I'm|I am|I've|I have|I'd|I|me|my|mine|myself)\\b",
            Pattern.CASE_INSENSITIVE);

    private QueryRewriter() {
    }

    static String thirdPerson(String query) {
        Matcher m = EN.matcher(query);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String word = m.group(1).toLowerCase(java.util.Locale.ROOT);
            String replacement = switch (word) {
                case "i'm", "i am" -> "the user is";
                case "i've", "i have" -> "the user has";
                case "i'd" -> "the user would";
                case "my", "mine" -> "the user's";
                case "myself" -> "the user";
                default -> "the user"; // I, me
            };
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        // 我的 → 用户的, 我 → 用户 (我们 "we" is left alone)
        return sb.toString().replaceAll("我(?!们)", "用户");
    }
}
