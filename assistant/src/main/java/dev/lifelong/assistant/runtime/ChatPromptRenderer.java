package dev.lifelong.assistant.runtime;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.Pair;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns chat turns into the prompt string with the model's own chat template (through llama.cpp).
 *
 * <p>java-llama.cpp returns the rendered template through JNI's {@code NewStringUTF}, which expects "modified UTF-8":
 * characters outside the BMP (emoji) would come back corrupted. So the template is rendered with ASCII placeholders
 * and the real contents are put back in Java. If a template rewrites the placeholders (e.g. trims or upper-cases
 * content), we fall back to rendering the real contents directly.
 *
 * <p>llama.cpp tokenizes the prompt with special-token parsing on, so a user who types {@code <|im_end|>} would end
 * the turn early; contents are defused by breaking such markers with a zero-width space.
 */
final class ChatPromptRenderer {
    private static final String ZERO_WIDTH_SPACE = "\u200B";

    private ChatPromptRenderer() {}

    static String render(LlamaModel model, List<ChatTurn> turns) {
        String system = null;
        List<ChatTurn> rest = turns;
        if (!turns.isEmpty() && turns.get(0).role().equals("system")) {
            system = turns.get(0).content();
            rest = turns.subList(1, turns.size());
        }
        for (ChatTurn t : rest) {
            if (t.role().equals("system")) throw new IllegalArgumentException("only the first message may be a system message");
        }
        String nonce = Long.toHexString(System.nanoTime() & 0xffffffL);
        List<String> placeholders = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        String systemPlaceholder = null;
        if (system != null && !system.isEmpty()) {
            systemPlaceholder = "LLPH" + nonce + "S0X";
            placeholders.add(systemPlaceholder);
            contents.add(defuse(system));
        }
        List<Pair<String, String>> messages = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            String p = "LLPH" + nonce + "M" + i + "X";
            placeholders.add(p);
            contents.add(defuse(rest.get(i).content()));
            messages.add(new Pair<>(rest.get(i).role(), p));
        }
        String rendered = model.applyTemplate(new InferenceParameters("").setMessages(systemPlaceholder, messages));
        String substituted = substitute(rendered, placeholders, contents);
        if (substituted != null) return substituted;
        List<Pair<String, String>> direct = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) direct.add(new Pair<>(rest.get(i).role(), contents.get(i + (systemPlaceholder == null ? 0 : 1))));
        return model.applyTemplate(new InferenceParameters("").setMessages(system == null ? null : defuse(system), direct));
    }

    /** @return the text with every placeholder replaced, or null if some placeholder is not there exactly once. */
    static String substitute(String rendered, List<String> placeholders, List<String> contents) {
        StringBuilder out = new StringBuilder(rendered.length() + 64);
        int from = 0;
        for (int i = 0; i < placeholders.size(); i++) {
            String p = placeholders.get(i);
            int at = rendered.indexOf(p, from);
            if (at < 0 || rendered.indexOf(p, at + p.length()) >= 0) return null;
            out.append(rendered, from, at).append(contents.get(i));
            from = at + p.length();
        }
        out.append(rendered, from, rendered.length());
        return out.toString();
    }

    static String defuse(String content) {
        return content.replace("<|", "<" + ZERO_WIDTH_SPACE + "|").replace("|>", "|" + ZERO_WIDTH_SPACE + ">")
                .replace("</s>", "<" + ZERO_WIDTH_SPACE + "/s>");
    }
}
