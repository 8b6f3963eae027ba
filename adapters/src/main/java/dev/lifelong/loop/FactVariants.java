package dev.lifelong.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns one remembered fact into several differently worded question/answer pairs that all state it. Facts become
 * extractable closed-book only when they are seen in many forms — augmentation, not repetition (Allen-Zhu &amp; Li,
 * "Physics of Language Models 3.1"; Ovadia et al. 2024) — so the nightly update trains each fact as: the questions a
 * person would ask about it, an answer in the second person, the fact used inside a longer answer, and the
 * closed-book cue the gate measures. Memories are stored in the third person ("The user's sister is called Lea.",
 * "用户住在杭州。"); a memory whose shape is not understood still gets the cue and a generic "what do you remember"
 * pair. Every pair is kept only if its answer still contains the fact's value.
 */
public final class FactVariants {
    /** A question and its answer. */
    public record Pair(String question, String answer) {
    }

    private static final Pattern POSSESSIVE = Pattern.compile(
            "(?i)^the user's (.+?) (is called|is named|are called|is|are|was) (.+)$");
    private static final Pattern VERB = Pattern.compile("(?i)^the user (\\w+)(?: (in|as|at|for|from|to|with))? (.+)$");
    private static final Pattern CHINESE_POSSESSIVE = Pattern.compile("^用户的(.+?)(叫做|名叫|叫|是)(.+)$");
    private static final Pattern CHINESE_VERB = Pattern.compile("^用户(住在|在|喜欢|爱|有|会|是|来自)(.+)$");

    private static final Map<String, String[]> VERB_QUESTIONS = new LinkedHashMap<>();

    static {
        VERB_QUESTIONS.put("lives in", new String[] {"Where do I live?", "Which place do I call home?"});
        VERB_QUESTIONS.put("works as", new String[] {"What do I do for a living?", "What is my job?"});
        VERB_QUESTIONS.put("works as a", new String[] {"What do I do for a living?", "What is my job?"});
        VERB_QUESTIONS.put("works as an", new String[] {"What do I do for a living?", "What is my job?"});
        VERB_QUESTIONS.put("works at", new String[] {"Where do I work?", "Which company do I work at?"});
        VERB_QUESTIONS.put("works for", new String[] {"Who do I work for?", "Where do I work?"});
        VERB_QUESTIONS.put("comes from", new String[] {"Where do I come from?", "Where am I from?"});
        VERB_QUESTIONS.put("is from", new String[] {"Where am I from?", "Where do I come from?"});
        VERB_QUESTIONS.put("plays", new String[] {"What do I play?", "Which sport or game do I play?"});
        VERB_QUESTIONS.put("drives", new String[] {"What do I drive?", "What car do I have?"});
        VERB_QUESTIONS.put("speaks", new String[] {"Which languages do I speak?", "What language do I speak?"});
        VERB_QUESTIONS.put("likes", new String[] {"What do I like?", "What is something I like?"});
        VERB_QUESTIONS.put("loves", new String[] {"What do I love?", "What is something I love?"});
        VERB_QUESTIONS.put("enjoys", new String[] {"What do I enjoy?", "What is something I enjoy?"});
        VERB_QUESTIONS.put("prefers", new String[] {"What do I prefer?", "What are my preferences?"});
        VERB_QUESTIONS.put("has", new String[] {"What do I have?", "Tell me what I have."});
        VERB_QUESTIONS.put("owns", new String[] {"What do I own?", "Tell me what I own."});
        VERB_QUESTIONS.put("studies", new String[] {"What do I study?", "What is my subject?"});
    }

    private FactVariants() {
    }

    /** The variants of one memory's text; empty when it has no value to ask for. */
    public static List<Pair> of(String memory) {
        String text = memory.strip();
        while (!text.isEmpty() && ".!。！;；".indexOf(text.charAt(text.length() - 1)) >= 0) {
            text = text.substring(0, text.length() - 1).strip();
        }
        FactProbe cue = FactProbe.of(text);
        if (cue == null) return List.of();
        String value = cue.answer();
        boolean chinese = text.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN);
        List<Pair> out = new ArrayList<>();
        if (chinese) {
            chinese(text, value, out);
        } else {
            english(text, value, out);
        }
        out.add(new Pair(cue.question(), value));
        // Only pairs whose answer still states the value: a template that lost it would teach something else.
        return out.stream().filter(p -> p.answer().contains(value)).distinct().toList();
    }

    private static void english(String text, String value, List<Pair> out) {
        Matcher p = POSSESSIVE.matcher(text);
        Matcher v = VERB.matcher(text);
        String you;
        if (p.matches() && p.group(3).endsWith(value)) {
            String thing = p.group(1);
            String link = p.group(2).toLowerCase(Locale.ROOT);
            String secondLink = link;
            value = p.group(3); // "in March" for "The user's birthday is in March": the answer keeps its preposition
            you = "Your " + thing + " " + secondLink + " " + value;
            if (link.contains("called") || link.contains("named")) {
                out.add(new Pair("What is my " + thing + " called?", you + "."));
                out.add(new Pair("What's the name of my " + thing + "?", "Your " + thing + "'s name is " + value + "."));
                out.add(new Pair("Do you remember my " + thing + "'s name?", "Yes: your " + thing + " " + secondLink + " "
                        + value + "."));
            } else {
                out.add(new Pair("What is my " + thing + "?", you + "."));
                out.add(new Pair("Remind me: what's my " + thing + "?", you + "."));
                out.add(new Pair("Do you remember my " + thing + "?", "Yes: your " + thing + " " + secondLink + " " + value
                        + "."));
            }
        } else if (v.matches() && v.group(3).endsWith(value)) {
            value = v.group(3);
            String verb = v.group(1).toLowerCase(Locale.ROOT);
            String prep = v.group(2) == null ? "" : " " + v.group(2).toLowerCase(Locale.ROOT);
            String phrase = verb + prep;
            you = "You " + secondPerson(verb) + prep + " " + value;
            String[] questions = VERB_QUESTIONS.get(phrase);
            if (questions == null) questions = VERB_QUESTIONS.get(verb);
            if (questions != null) {
                out.add(new Pair(questions[0], you + "."));
                out.add(new Pair(questions[1], you + "."));
            }
            out.add(new Pair("Do you know what I " + secondPerson(verb) + prep + "?", "Yes: " + lower(you) + "."));
        } else {
            you = "You told me: " + text;
        }
        out.add(new Pair("What do you remember about me?", "You told me that " + lower(secondPersonSentence(text)) + "."));
        out.add(new Pair("Tell me one thing you know about me.", secondPersonSentence(text) + "."));
    }

    private static void chinese(String text, String value, List<Pair> out) {
        Matcher p = CHINESE_POSSESSIVE.matcher(text);
        Matcher v = CHINESE_VERB.matcher(text);
        if (p.matches() && p.group(3).equals(value)) {
            String thing = p.group(1);
            String link = p.group(2);
            out.add(new Pair("我的" + thing + link + "什么？", "你的" + thing + link + value + "。"));
            out.add(new Pair("你还记得我的" + thing + link + "什么吗？", "记得，你的" + thing + link + value + "。"));
        } else if (v.matches() && v.group(2).equals(value)) {
            String verb = v.group(1);
            String question = switch (verb) {
                case "住在", "在" -> "我住在哪里？";
                case "来自" -> "我来自哪里？";
                default -> "我" + verb + "什么？";
            };
            out.add(new Pair(question, "你" + verb + value + "。"));
            out.add(new Pair("你还记得" + question.substring(0, question.length() - 1) + "吗？", "记得，你" + verb + value + "。"));
        }
        out.add(new Pair("你记得关于我的什么事？", "你告诉过我，" + text.replace("用户", "你") + "。"));
    }

    /** "The user's cat is called Momo" → "Your cat is called Momo"; "The user lives in Oslo" → "You live in Oslo". */
    static String secondPersonSentence(String text) {
        Matcher v = VERB.matcher(text);
        if (text.toLowerCase(Locale.ROOT).startsWith("the user's ")) return "Your " + text.substring("the user's ".length());
        if (v.matches()) {
            String rest = text.substring("the user ".length() + v.group(1).length());
            return "You " + secondPerson(v.group(1).toLowerCase(Locale.ROOT)) + rest;
        }
        return text;
    }

    /** The second-person form of a third-person verb: is → are, has → have, does → do, lives → live, studies → study. */
    static String secondPerson(String verb) {
        return switch (verb) {
            case "is" -> "are";
            case "has" -> "have";
            case "does" -> "do";
            case "was" -> "were";
            case "goes" -> "go";
            default -> verb.endsWith("ies") ? verb.substring(0, verb.length() - 3) + "y"
                    : verb.endsWith("sses") || verb.endsWith("shes") || verb.endsWith("ches") || verb.endsWith("xes")
                    ? verb.substring(0, verb.length() - 2)
                    : verb.endsWith("s") && !verb.endsWith("ss") ? verb.substring(0, verb.length() - 1) : verb;
        };
    }

    private static String lower(String s) {
        return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }
}
