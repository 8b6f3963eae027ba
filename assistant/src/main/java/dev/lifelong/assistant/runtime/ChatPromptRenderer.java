package dev.lifelong.assistant.runtime;

import de.kherud.llama.LlamaModel;
import dev.lifelong.lora.data.BosRule;
import dev.lifelong.lora.data.ChatTemplateRenderer;
import dev.lifelong.lora.data.Turn;

import java.util.List;

/**
 * Serving renders prompts with the same code training uses ({@link ChatTemplateRenderer}), so an adapter is trained
 * on exactly the text it will be served with.
 */
final class ChatPromptRenderer {
    private ChatPromptRenderer() {}

    static String render(LlamaModel model, BosRule bos, List<ChatTurn> turns) {
        return ChatTemplateRenderer.renderText(model, bos, turns.stream().map(t -> new Turn(t.role(), t.content())).toList());
    }
}
