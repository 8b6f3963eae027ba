package dev.lifelong.assistant.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.GenerationResult;

import java.util.ArrayList;
import java.util.List;

/**
 * LangChain4j's {@link ChatModel} and {@link StreamingChatModel} over the model Lifelong is serving (the same
 * llama.cpp runtime, chat template and per-request settings as the HTTP API), so a LangChain4j AI Service can run on
 * Lifelong in process:
 * <pre>{@code
 * interface Helper { String chat(String message); }
 * Helper helper = AiServices.builder(Helper.class)
 *         .chatModel(new LifelongChatModel(models, GenerationOptions.defaults()))
 *         .contentRetriever(new MemoryContentRetriever(memory, Users.OWNER_ID, 5))
 *         .build();
 * }</pre>
 * Tools and JSON response formats are not supported (the request is refused with a clear message).
 */
public final class LifelongChatModel implements ChatModel, StreamingChatModel {
    private final ModelManager models;
    private final GenerationOptions defaults;

    public LifelongChatModel(ModelManager models, GenerationOptions defaults) {
        this.models = models;
        this.defaults = defaults;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return generate(request, piece -> { });
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = generate(request, handler::onPartialResponse);
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    // both interfaces default these; one answer for both
    @Override
    public java.util.Set<dev.langchain4j.model.chat.Capability> supportedCapabilities() {
        return java.util.Set.of();
    }

    @Override
    public java.util.List<dev.langchain4j.model.chat.listener.ChatModelListener> listeners() {
        return java.util.List.of();
    }

    @Override
    public dev.langchain4j.model.chat.request.ChatRequestParameters defaultRequestParameters() {
        return ChatModel.super.defaultRequestParameters();
    }

    private ChatResponse generate(ChatRequest request, java.util.function.Consumer<String> pieces) {
        if (request.toolSpecifications() != null && !request.toolSpecifications().isEmpty()) {
            throw new IllegalArgumentException("Lifelong's chat model does not support tools");
        }
        ModelManager.Loaded loaded = models.require();
        GenerationOptions options = options(request);
        GenerationResult result = loaded.runtime().generate(turns(request.messages()), options, pieces::accept, new Cancellation());
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(result.text()))
                .modelName(loaded.id())
                .tokenUsage(new TokenUsage(result.promptTokens(), result.completionTokens()))
                .finishReason(result.finishReason() == GenerationResult.FinishReason.LENGTH ? FinishReason.LENGTH : FinishReason.STOP)
                .build();
    }

    private GenerationOptions options(ChatRequest request) {
        int maxTokens = request.maxOutputTokens() != null ? request.maxOutputTokens() : defaults.maxTokens();
        float temperature = request.temperature() != null ? request.temperature().floatValue() : defaults.temperature();
        float topP = request.topP() != null ? request.topP().floatValue() : defaults.topP();
        List<String> stop = request.stopSequences() != null && !request.stopSequences().isEmpty() ? request.stopSequences() : defaults.stop();
        return new GenerationOptions(maxTokens, temperature, topP, defaults.seed(), stop);
    }

    static List<ChatTurn> turns(List<ChatMessage> messages) {
        List<ChatTurn> turns = new ArrayList<>();
        for (ChatMessage m : messages) {
            if (m instanceof SystemMessage s) turns.add(ChatTurn.system(s.text()));
            else if (m instanceof UserMessage u) turns.add(ChatTurn.user(u.singleText()));
            else if (m instanceof AiMessage a) turns.add(ChatTurn.assistant(a.text() == null ? "" : a.text()));
            else throw new IllegalArgumentException("Lifelong's chat model takes system, user and AI messages, not " + m.type());
        }
        return turns;
    }
}
