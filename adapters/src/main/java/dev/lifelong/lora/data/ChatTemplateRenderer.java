package dev.lifelong.lora.data;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.Pair;

import java.util.ArrayList;
import java.util.List;

/**
 * Renders turns with the model's own chat template exactly as the assistant's serving renderer
 * ({@code dev.lifelong.assistant.runtime.ChatPromptRenderer}) does, so training sees the text serving sees; this copy
 * also reports where each message's content lies in the result.
 *
 * <p>java-llama.cpp returns the rendered template through JNI's {@code NewStringUTF} ("modified UTF-8"), which
 * corrupts characters outside the BMP, so the template is rendered with ASCII placeholders and the contents are put
 * back in Java. Contents are defused: {@code <|}, {@code |>} and {@code </s>} are broken with a zero-width space so
 * text typed by a user is never parsed as a special token.
 */
public final class ChatTemplateRenderer {
    private static final String ZERO_WIDTH_SPACE = "\u200B";

    /** The prompt text, and for each input turn the [start, end) char range of its (defused) content. */
    public record Rendered(String text, int[] contentStart, int[] contentEnd) {}

    private ChatTemplateRenderer() {}

    /** The prompt text as serving and training see it (the generation prompt for the next assistant turn included). */
    public static String renderText(LlamaModel model, BosRule bos, List<Turn> turns) {
        return render(model, bos, turns).text();
    }

    /**
     * The prompt and where each turn's content lies in it; a content the template rewrote has start -1. When llama.cpp
     * adds BOS itself ({@code bos.adds()}), a BOS the template writes at the start (Llama 3's {@code {{ bos_token }}})
     * is dropped, so the model sees one BOS as in its training, not two.
     */
    public static Rendered render(LlamaModel model, BosRule bos, List<Turn> turns) {
        Rendered r = render(model, turns);
        if (!bos.adds() || bos.text() == null || bos.text().isEmpty() || !r.text().startsWith(bos.text())) return r;
        int cut = bos.text().length();
        int[] starts = r.contentStart().clone();
        int[] ends = r.contentEnd().clone();
        for (int i = 0; i < starts.length; i++) {
            if (starts[i] >= 0) {
                starts[i] -= cut;
                ends[i] -= cut;
            }
        }
        return new Rendered(r.text().substring(cut), starts, ends);
    }

    private static Rendered render(LlamaModel model, List<Turn> turns) {
        String system = null;
        List<Turn> rest = turns;
        if (!turns.isEmpty() && turns.get(0).role().equals("system")) {
            system = turns.get(0).content();
            rest = turns.subList(1, turns.size());
        }
        for (Turn t : rest) {
            if (t.role().equals("system")) throw new IllegalArgumentException("only the first message may be a system message");
        }
        boolean hasSystem = system != null;
        String nonce = Long.toHexString(System.nanoTime() & 0xffffffL);
        List<String> placeholders = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        List<Integer> turnIndex = new ArrayList<>();
        String systemPlaceholder = null;
        if (hasSystem && !system.isEmpty()) {
            systemPlaceholder = "LLPH" + nonce + "S0X";
            placeholders.add(systemPlaceholder);
            contents.add(defuse(system));
            turnIndex.add(0);
        }
        int offset = hasSystem ? 1 : 0;
        List<Pair<String, String>> messages = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            String p = "LLPH" + nonce + "M" + i + "X";
            placeholders.add(p);
            contents.add(defuse(rest.get(i).content()));
            turnIndex.add(i + offset);
            messages.add(new Pair<>(rest.get(i).role(), p));
        }
        int[] starts = new int[turns.size()];
        int[] ends = new int[turns.size()];
        java.util.Arrays.fill(starts, -1);
        java.util.Arrays.fill(ends, -1);
        String rendered = model.applyTemplate(new InferenceParameters("").setMessages(systemPlaceholder, messages));
        String substituted = substitute(rendered, placeholders, contents, turnIndex, starts, ends);
        if (substituted != null) return new Rendered(substituted, starts, ends);

        // The template changed a placeholder: render the real contents and find them in order.
        List<Pair<String, String>> direct = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) direct.add(new Pair<>(rest.get(i).role(), contents.get(i + (systemPlaceholder == null ? 0 : 1))));
        String text = model.applyTemplate(new InferenceParameters("").setMessages(hasSystem ? defuse(system) : null, direct));
        int from = 0;
        for (int i = 0; i < contents.size(); i++) {
            int at = text.indexOf(contents.get(i), from);
            if (at < 0) continue; // the template rewrote this content: fine for serving, the tokenizer refuses it
            starts[turnIndex.get(i)] = at;
            ends[turnIndex.get(i)] = at + contents.get(i).length();
            from = at + contents.get(i).length();
        }
        return new Rendered(text, starts, ends);
    }

    /** @return the text with every placeholder replaced, or null if some placeholder is not there exactly once. */
    static String substitute(String rendered, List<String> placeholders, List<String> contents, List<Integer> turnIndex,
            int[] starts, int[] ends) {
        StringBuilder out = new StringBuilder(rendered.length() + 64);
        int from = 0;
        for (int i = 0; i < placeholders.size(); i++) {
            String p = placeholders.get(i);
            int at = rendered.indexOf(p, from);
            if (at < 0 || rendered.indexOf(p, at + p.length()) >= 0) return null;
            out.append(rendered, from, at);
            starts[turnIndex.get(i)] = out.length();
            out.append(contents.get(i));
            ends[turnIndex.get(i)] = out.length();
            from = at + p.length();
        }
        out.append(rendered, from, rendered.length());
        return out.toString();
    }

    static String defuse(String content) {
        // llama.cpp parses control-token texts inside prompts; SPM vocabularies (the seedling's too) also have <s>,
        // </s> and <unk> as control tokens
        return content.replace("<|", "<" + ZERO_WIDTH_SPACE + "|").replace("|>", "|" + ZERO_WIDTH_SPACE + ">")
                .replace("</s>", "<" + ZERO_WIDTH_SPACE + "/s>").replace("<s>", "<" + ZERO_WIDTH_SPACE + "s>")
                .replace("<unk>", "<" + ZERO_WIDTH_SPACE + "unk>");
    }
}
