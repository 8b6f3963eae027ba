package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.assistant.auth.AuthException;
import dev.lifelong.assistant.auth.LiveRequests;
import dev.lifelong.assistant.chat.ClientGoneException;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.GenerationResult;
import dev.lifelong.assistant.runtime.JsonSchemaGrammar;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * OpenAI-compatible {@code /v1/models} and {@code /v1/chat/completions}, so existing OpenAI clients work unchanged.
 * Like chats in the UI, a completion gets the user's memories and is remembered (stored in the "Chats through the API"
 * conversation, memories extracted), unless the user switched API memory off or the request sends
 * {@code X-Lifelong-Memory: off}. {@code response_format} (json_object, json_schema) is enforced with a llama.cpp grammar;
 * tools and tool calls are refused with a 400 naming the field, since this server cannot call tools.
 */
final class OpenAiRoutes {
    static final String DEFAULT_MODEL_ID = "default";
    private final ModelManager models;
    private final GenerationOptions defaults;
    private final dev.lifelong.assistant.chat.ChatService chat;
    private final LiveRequests live;

    OpenAiRoutes(ModelManager models, GenerationOptions defaults, dev.lifelong.assistant.chat.ChatService chat, LiveRequests live) {
        this.models = models;
        this.defaults = defaults;
        this.chat = chat;
        this.live = live;
    }

    void register(RoutesConfig r) {
        r.get("/v1/models", this::listModels);
        r.post("/v1/chat/completions", this::chatCompletions);
    }

    private void listModels(Context ctx) {
        List<Map<String, Object>> data = new ArrayList<>();
        data.add(model(DEFAULT_MODEL_ID));
        models.current().ifPresent(l -> data.add(model(l.id())));
        ctx.json(Map.of("object", "list", "data", data));
    }

    private static Map<String, Object> model(String id) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", 0);
        m.put("owned_by", "lifelong");
        return m;
    }

    /** A validated chat completion request. */
    record Request(String model, List<ChatTurn> turns, GenerationOptions options, boolean stream, boolean includeUsage) {}

    Request parse(ObjectNode body) {
        String model = Json.optionalString(body, "model").orElse(DEFAULT_MODEL_ID);
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) throw ApiException.badRequest("missing_field", "'messages' is required");
        if (!messages.isArray() || messages.isEmpty()) throw ApiException.badRequest("invalid_value", "'messages' must be a non-empty array");
        StringBuilder system = new StringBuilder();
        List<ChatTurn> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.isObject()) throw ApiException.badRequest("invalid_value", "messages[" + i + "] must be an object");
            String role = Json.requiredString(m, "role");
            refuseToolMessages(m, role, i);
            String content = content(m.get("content"), i);
            switch (role) {
                case "system", "developer" -> system.append(system.isEmpty() ? "" : "\n\n").append(content);
                case "user", "assistant" -> turns.add(new ChatTurn(role, content));
                default -> throw ApiException.badRequest("invalid_value", "messages[" + i + "].role must be system, developer, user or assistant, not '" + role + "'",
                        "messages[" + i + "].role");
            }
        }
        if (turns.isEmpty()) throw ApiException.badRequest("invalid_value", "'messages' needs at least one user message");
        if (!system.isEmpty()) turns.add(0, ChatTurn.system(system.toString()));
        int maxTokens = Json.optionalInt(body, "max_completion_tokens", 1, 1 << 20)
                .or(() -> Json.optionalInt(body, "max_tokens", 1, 1 << 20)).orElse(defaults.maxTokens());
        float temperature = Json.optionalNumber(body, "temperature", 0, 2).map(Double::floatValue).orElse(defaults.temperature());
        float topP = Json.optionalNumber(body, "top_p", 0, 1).map(Double::floatValue).orElse(defaults.topP());
        if (topP <= 0) throw ApiException.badRequest("invalid_value", "'top_p' must be greater than 0");
        int seed = Json.optionalInt(body, "seed", Integer.MIN_VALUE, Integer.MAX_VALUE).map(s -> s < 0 ? -1 : s).orElse(-1);
        int n = Json.optionalInt(body, "n", 1, 128).orElse(1);
        if (n != 1) throw ApiException.badRequest("unsupported_value", "only n=1 is supported");
        List<String> stop = stops(body.get("stop"));
        boolean stream = Json.optionalBoolean(body, "stream", false);
        JsonNode streamOptions = body.get("stream_options");
        boolean includeUsage = streamOptions != null && streamOptions.isObject() && Json.optionalBoolean(streamOptions, "include_usage", false);
        refuseTools(body);
        String grammar = responseFormatGrammar(body.get("response_format"));
        return new Request(model, turns, new GenerationOptions(maxTokens, temperature, topP, seed, stop, grammar), stream, includeUsage);
    }

    /**
     * The grammar that makes the answer follow {@code response_format}: none for text, any JSON object for
     * {@code json_object}, the schema's instances for {@code json_schema}. Without it a client asking for JSON would
     * get prose with a 200.
     */
    static String responseFormatGrammar(JsonNode format) {
        if (format == null || format.isNull()) return null;
        if (!format.isObject()) throw ApiException.badRequest("invalid_type", "'response_format' must be an object", "response_format");
        JsonNode typeNode = format.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw ApiException.badRequest("missing_field", "response_format.type is required: text, json_object or json_schema", "response_format.type");
        }
        String type = typeNode.asText();
        return switch (type) {
            case "text" -> null;
            case "json_object" -> JsonSchemaGrammar.anyObject();
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema").path("schema");
                if (!schema.isObject() && !schema.isBoolean()) {
                    throw ApiException.badRequest("missing_field", "response_format.json_schema.schema is required (a JSON schema object)",
                            "response_format.json_schema.schema");
                }
                try {
                    yield JsonSchemaGrammar.forSchema(schema);
                } catch (JsonSchemaGrammar.UnsupportedSchemaException e) {
                    throw ApiException.badRequest("unsupported_schema", e.getMessage(), "response_format.json_schema.schema");
                }
            }
            default -> throw ApiException.badRequest("invalid_value",
                    "response_format.type must be text, json_object or json_schema, not '" + type + "'", "response_format.type");
        };
    }

    /**
     * This server cannot call tools: a request that offers some is refused by name rather than answered as if they were
     * not there. {@code tool_choice} "none" (or "auto", which means the same with nothing to call) is fine without tools.
     */
    private static void refuseTools(ObjectNode body) {
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
            throw ApiException.badRequest("unsupported_parameter", "tools are not supported by this server: it cannot make tool"
                    + " (function) calls; send the request without 'tools'", "tools");
        }
        JsonNode functions = body.get("functions");
        if (functions != null && !functions.isNull() && !(functions.isArray() && functions.isEmpty())) {
            throw ApiException.badRequest("unsupported_parameter", "functions are not supported by this server: it cannot make"
                    + " function calls; send the request without 'functions'", "functions");
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && !choice.isNull() && !(choice.isTextual() && (choice.asText().equals("none") || choice.asText().equals("auto")))) {
            throw ApiException.badRequest("unsupported_parameter", "tool_choice " + choice + " is not supported by this server:"
                    + " it cannot make tool calls; leave 'tool_choice' out or send \"none\"", "tool_choice");
        }
    }

    /** Tool calls and their results belong to a conversation with tools, which this server cannot have. */
    private static void refuseToolMessages(JsonNode m, String role, int i) {
        if (role.equals("tool") || role.equals("function")) {
            throw ApiException.badRequest("unsupported_value", "messages[" + i + "] has role '" + role + "': tool results are not"
                    + " supported by this server (it makes no tool calls)", "messages[" + i + "].role");
        }
        for (String field : List.of("tool_calls", "function_call")) {
            JsonNode calls = m.get(field);
            if (calls != null && !calls.isNull() && !(calls.isArray() && calls.isEmpty())) {
                throw ApiException.badRequest("unsupported_value", "messages[" + i + "]." + field + ": tool calls are not"
                        + " supported by this server; send the assistant's text as 'content' instead", "messages[" + i + "]." + field);
            }
        }
    }

    private static String content(JsonNode c, int i) {
        if (c == null || c.isNull()) throw ApiException.badRequest("missing_field", "messages[" + i + "].content is required");
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText())) {
                    throw ApiException.badRequest("unsupported_content", "messages[" + i + "]: only text content parts are supported");
                }
                sb.append(Json.requiredString(part, "text"));
            }
            return sb.toString();
        }
        throw ApiException.badRequest("invalid_type", "messages[" + i + "].content must be a string or an array of text parts");
    }

    private static List<String> stops(JsonNode stop) {
        if (stop == null || stop.isNull()) return List.of();
        if (stop.isTextual()) return List.of(stop.asText());
        if (stop.isArray() && stop.size() <= 4) {
            List<String> out = new ArrayList<>();
            for (JsonNode s : stop) {
                if (!s.isTextual()) throw ApiException.badRequest("invalid_type", "'stop' must be a string or an array of strings");
                out.add(s.asText());
            }
            return out;
        }
        throw ApiException.badRequest("invalid_value", "'stop' must be a string or an array of at most 4 strings");
    }

    private void chatCompletions(Context ctx) {
        Request req = parse(Json.object(ctx));
        ModelManager.Loaded loaded = models.require();
        // a prompt that cannot fit is refused before it costs any tokenizing (1 MiB took 1.7 s of CPU)
        loaded.runtime().refuseIfCertainlyTooLong(req.turns().stream().mapToLong(t -> t.content().length()).sum());
        if (!req.model().equals(DEFAULT_MODEL_ID) && !req.model().equals(loaded.id())) {
            throw new ApiException(404, "invalid_request_error", "model_not_found",
                    "The model '" + req.model() + "' does not exist; use \"default\" or an id from GET /v1/models");
        }
        String id = "chatcmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        String header = ctx.header("X-Lifelong-Memory");
        if (header != null && !header.equalsIgnoreCase("on") && !header.equalsIgnoreCase("off")) {
            throw ApiException.badRequest("invalid_value", "X-Lifelong-Memory must be on or off, not '" + header + "'");
        }
        // the key's own switch (set in the UI per key) and the request header must both allow memory
        boolean remember = (header == null || header.equalsIgnoreCase("on")) && AuthRoutes.caller(ctx).keyMemory();
        long user = ConversationRoutes.userId(ctx);
        try (var ticket = chat.queue().admit(user); var request = live.start(AuthRoutes.caller(ctx), LiveRequests.Kind.ANSWER)) {
            answer(ctx, req, loaded, user, remember, id, created, ticket, request);
        }
    }

    private void answer(Context ctx, Request req, ModelManager.Loaded loaded, long user, boolean remember, String id, long created,
            dev.lifelong.assistant.runtime.GenerationQueue.Ticket ticket, LiveRequests.Live request) {
        Cancellation cancellation = request.cancellation();
        // The user's own adapter answers API requests too (the lifelong loop's hot swap covers both doors).
        var serving = chat.servingFor(user, loaded);
        List<ChatTurn> turns = chat.withMemories(user, serving.runtime(), req.turns(), req.options().maxTokens(), remember);
        String question = lastUser(req.turns());
        if (!req.stream()) {
            GenerationResult r = chat.generate(ticket, serving, turns, req.options(), piece -> { }, cancellation);
            // what was cut off because the caller's credentials ended is neither answered nor remembered
            if (request.endedBecause() != null) throw AuthException.unauthorized("credentials_ended", request.endedBecause());
            chat.rememberApiExchange(user, question, r.text(), remember);
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", "assistant");
            message.put("content", r.text());
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0);
            choice.put("message", message);
            choice.put("finish_reason", finishReason(r));
            Map<String, Object> body = base(id, "chat.completion", created, loaded.id());
            body.put("choices", List.of(choice));
            body.put("usage", usage(r));
            ctx.json(body);
            return;
        }
        SseStream sse = new SseStream(ctx);
        try {
            sse.data(Json.write(chunk(id, created, loaded.id(), Map.of("role", "assistant", "content", ""), null)));
            GenerationResult r = chat.generate(ticket, serving, turns, req.options(),
                    piece -> sse.data(Json.write(chunk(id, created, loaded.id(), Map.of("content", piece), null))), cancellation);
            if (request.endedBecause() != null) {
                sse.data(Json.write(Dto.error("authentication_error", "credentials_ended", request.endedBecause())));
                return;
            }
            chat.rememberApiExchange(user, question, r.text(), remember);
            sse.data(Json.write(chunk(id, created, loaded.id(), Map.of(), finishReason(r))));
            if (req.includeUsage()) {
                Map<String, Object> u = base(id, "chat.completion.chunk", created, loaded.id());
                u.put("choices", List.of());
                u.put("usage", usage(r));
                sse.data(Json.write(u));
            }
            sse.data("[DONE]");
        } catch (ClientGoneException e) {
            // the client left; llama.cpp has already been told to stop
        } catch (RuntimeException e) {
            if (!sse.started()) throw e;
            try {
                sse.data(Json.write(Dto.error("server_error", "generation_failed", e.getMessage())));
            } catch (ClientGoneException ignored) {
                // nobody to tell
            }
        }
    }

    private static String lastUser(List<ChatTurn> turns) {
        String last = "";
        for (ChatTurn t : turns) if (t.role().equals("user")) last = t.content();
        return last;
    }

    private static Map<String, Object> chunk(String id, long created, String model, Map<String, Object> delta, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0);
        choice.put("delta", delta);
        choice.put("finish_reason", finish);
        Map<String, Object> body = base(id, "chat.completion.chunk", created, model);
        body.put("choices", List.of(choice));
        return body;
    }

    private static Map<String, Object> base(String id, String object, long created, String model) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("object", object);
        body.put("created", created);
        body.put("model", model);
        return body;
    }

    private static String finishReason(GenerationResult r) {
        return r.finishReason() == GenerationResult.FinishReason.LENGTH ? "length" : "stop";
    }

    private static Map<String, Object> usage(GenerationResult r) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("prompt_tokens", r.promptTokens());
        u.put("completion_tokens", r.completionTokens());
        u.put("total_tokens", r.promptTokens() + r.completionTokens());
        return u;
    }
}
