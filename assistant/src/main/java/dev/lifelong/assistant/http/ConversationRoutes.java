package dev.lifelong.assistant.http;

import dev.lifelong.assistant.auth.LiveRequests;
import dev.lifelong.assistant.chat.ChatEvents;
import dev.lifelong.assistant.chat.ChatService;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import dev.lifelong.memory.Message;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.Map;

/** The web UI's conversation API; thin handlers over {@link ChatService}. */
final class ConversationRoutes {
    private final ChatService chat;
    private final LiveRequests live;

    ConversationRoutes(ChatService chat, LiveRequests live) {
        this.chat = chat;
        this.live = live;
    }

    void register(RoutesConfig r) {
        r.get("/api/conversations", ctx -> ctx.json(chat.list(userId(ctx)).stream().map(Dto::conversation).toList()));
        r.post("/api/conversations", this::create);
        r.patch("/api/conversations/{id}", this::rename);
        r.delete("/api/conversations/{id}", ctx -> {
            chat.delete(userId(ctx), id(ctx));
            ctx.status(204);
        });
        r.get("/api/conversations/{id}/messages", ctx -> ctx.json(chat.messages(userId(ctx), id(ctx)).stream().map(Dto::message).toList()));
        r.post("/api/conversations/{id}/messages", ctx -> {
            String content = Json.requiredString(Json.objectWith(ctx, "content"), "content");
            long id = id(ctx);
            try (var request = live.start(AuthRoutes.caller(ctx), LiveRequests.Kind.ANSWER)) {
                chat.send(userId(ctx), id, content, events(ctx), request.cancellation());
            }
        });
        r.post("/api/conversations/{id}/regenerate", ctx -> {
            long id = id(ctx);
            try (var request = live.start(AuthRoutes.caller(ctx), LiveRequests.Kind.ANSWER)) {
                chat.regenerate(userId(ctx), id, events(ctx), request.cancellation());
            }
        });
        r.post("/api/conversations/{id}/edit", ctx -> {
            String content = Json.requiredString(Json.objectWith(ctx, "content"), "content");
            long id = id(ctx);
            try (var request = live.start(AuthRoutes.caller(ctx), LiveRequests.Kind.ANSWER)) {
                chat.edit(userId(ctx), id, content, events(ctx), request.cancellation());
            }
        });
        r.post("/api/messages/{id}/correction", ctx -> {
            String correction = Json.requiredString(Json.objectWith(ctx, "correction"), "correction");
            ctx.status(201).json(Map.of("memory", Dto.memory(chat.correct(userId(ctx), id(ctx), correction))));
        });
        r.post("/api/messages/{id}/rating", ctx -> {
            String rating = Json.requiredString(Json.objectWith(ctx, "rating"), "rating");
            if (!rating.equals("up") && !rating.equals("down")) throw ApiException.badRequest("invalid_value", "rating must be up or down, not '" + rating + "'");
            chat.rate(userId(ctx), id(ctx), rating.equals("up"));
            ctx.status(204);
        });
        r.get("/api/messages/{id}/memories", ctx -> ctx.json(chat.memoriesUsed(userId(ctx), id(ctx)).stream().map(Dto::memory).toList()));
        r.post("/api/conversations/{id}/stop", ctx -> ctx.json(Map.of("stopped", chat.stop(userId(ctx), id(ctx)))));
    }

    private void create(Context ctx) {
        String title = null;
        if (!ctx.body().isBlank()) title = Json.optionalString(Json.objectWith(ctx, "title"), "title").orElse(null);
        ctx.status(201).json(Dto.conversation(chat.create(userId(ctx), title)));
    }

    /** PATCH: a new title and/or the private flag. */
    private void rename(Context ctx) {
        var body = Json.object(ctx);
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("title") && !f.equals("private")) throw ApiException.badRequest("unknown_field", "unknown field '" + f + "'; give title and/or private");
        }
        if (!body.has("title") && !body.has("private")) throw ApiException.badRequest("missing_field", "give title and/or private");
        // every field is checked before anything changes, then both change in one transaction
        String title = body.has("title") ? Json.requiredString(body, "title") : null;
        Boolean isPrivate = null;
        if (body.has("private")) {
            if (!body.get("private").isBoolean()) throw ApiException.badRequest("invalid_value", "private must be true or false");
            isPrivate = body.get("private").asBoolean();
        }
        ctx.json(Dto.conversation(chat.update(userId(ctx), id(ctx), title, isPrivate)));
    }

    /** The signed-in user (session or API key); the gate in {@link AuthRoutes} has checked it. */
    static long userId(Context ctx) { return AuthRoutes.caller(ctx).userId(); }

    static long id(Context ctx) {
        String raw = ctx.pathParam("id");
        try {
            long id = Long.parseLong(raw);
            if (id > 0) return id;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw ApiException.badRequest("invalid_id", "id must be a positive number, not '" + raw + "'");
    }

    private static ChatEvents events(Context ctx) {
        SseStream sse = new SseStream(ctx);
        return new ChatEvents() {
            @Override public void user(Message stored) { sse.event("user", Dto.message(stored)); }
            @Override public void start(long id) { sse.event("start", Map.of("messageId", id)); }
            @Override public void memories(java.util.List<dev.lifelong.memory.Memory> used) {
                sse.event("memories", used.stream().map(Dto::memory).toList());
            }
            @Override public void token(String text) { sse.event("token", Map.of("text", text)); }
            @Override public void done(Message stored) { sse.event("done", Dto.message(stored)); }
            @Override public void error(Message stored, RuntimeException cause) {
                String code = cause instanceof PromptTooLongException ? "context_length_exceeded" : "generation_failed";
                Map<String, Object> body = new java.util.LinkedHashMap<>(Dto.error("server_error", code, cause.getMessage()));
                body.put("message", Dto.message(stored));
                sse.event("error", body);
            }
        };
    }

}
