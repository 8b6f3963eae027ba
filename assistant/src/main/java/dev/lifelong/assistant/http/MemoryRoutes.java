package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MemoryStore;
import dev.lifelong.memory.MessageStore;
import dev.lifelong.memory.retrieval.MemoryService;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.util.Set;
import java.util.function.Supplier;

/** The memory page's API and the search over past conversations; thin handlers over {@link MemoryService}. */
final class MemoryRoutes {
    private static final Set<String> EDITABLE = Set.of("text", "kind", "pinned");

    private final Supplier<MemoryService> memory;
    private final MessageStore messages;
    private final dev.lifelong.memory.UserSettings settings;

    MemoryRoutes(Supplier<MemoryService> memory, MessageStore messages, dev.lifelong.memory.UserSettings settings) {
        this.memory = memory;
        this.messages = messages;
        this.settings = settings;
    }

    void register(RoutesConfig r) {
        r.get("/api/memories", this::list);
        r.post("/api/memories", this::create);
        r.get("/api/memories/search", this::search);
        r.get("/api/memories/{id}", ctx -> ctx.json(Dto.memory(find(ctx))));
        r.patch("/api/memories/{id}", this::edit);
        r.delete("/api/memories/{id}", ctx -> {
            if (!memory.get().delete(ConversationRoutes.userId(ctx), ConversationRoutes.id(ctx))) throw notFound(ctx);
            ctx.status(204);
        });
        r.post("/api/memories/{id}/forget", ctx -> {
            if (!memory.get().forget(ConversationRoutes.userId(ctx), ConversationRoutes.id(ctx))) throw notFound(ctx);
            ctx.status(204);
        });
        r.get("/api/settings", ctx -> ctx.json(settingsOf(ConversationRoutes.userId(ctx))));
        r.patch("/api/settings", ctx -> {
            ObjectNode body = Json.object(ctx);
            rejectUnknown(body, Set.of("memoryExtraction", "apiMemory"));
            if (body.isEmpty()) throw ApiException.badRequest("missing_field", "give memoryExtraction and/or apiMemory");
            long user = ConversationRoutes.userId(ctx);
            // validate both before changing either
            Boolean extraction = body.has("memoryExtraction") ? Json.optionalBoolean(body, "memoryExtraction", true) : null;
            Boolean api = body.has("apiMemory") ? Json.optionalBoolean(body, "apiMemory", true) : null;
            if (extraction != null) settings.setMemoryExtraction(user, extraction);
            if (api != null) settings.setApiMemory(user, api);
            ctx.json(settingsOf(user));
        });
        r.get("/api/search", ctx -> {
            String q = requiredQuery(ctx, "q");
            int limit = intQuery(ctx, "limit", 20, 1, 100);
            ctx.json(messages.search(ConversationRoutes.userId(ctx), q, limit).stream().map(Dto::messageHit).toList());
        });
    }

    private java.util.Map<String, Object> settingsOf(long user) {
        return java.util.Map.of("memoryExtraction", settings.memoryExtraction(user), "apiMemory", settings.apiMemory(user));
    }

    private void list(Context ctx) {
        boolean history = "superseded".equals(ctx.queryParam("include"));
        int limit = intQuery(ctx, "limit", 100, 1, 1000);
        int offset = intQuery(ctx, "offset", 0, 0, Integer.MAX_VALUE);
        ctx.json(memory.get().store().list(ConversationRoutes.userId(ctx), history, limit, offset).stream().map(Dto::memory).toList());
    }

    private void create(Context ctx) {
        ObjectNode body = Json.object(ctx);
        rejectUnknown(body, Set.of("text", "kind", "pinned"));
        String text = Json.requiredString(body, "text");
        MemoryKind kind = kind(Json.optionalString(body, "kind").orElse("fact"));
        boolean pinned = Json.optionalBoolean(body, "pinned", false);
        long user = ConversationRoutes.userId(ctx);
        Memory m = memory.get().add(user, kind, text, null);
        if (pinned) m = memory.get().setPinned(user, m.id(), true);
        ctx.status(201).json(Dto.memory(m));
    }

    private void edit(Context ctx) {
        ObjectNode body = Json.object(ctx);
        rejectUnknown(body, EDITABLE);
        if (body.isEmpty()) throw ApiException.badRequest("invalid_request", "nothing to change: give text, kind or pinned");
        Memory current = find(ctx);
        if (!current.live()) throw ApiException.badRequest("invalid_request", "memory " + current.id() + " was replaced by a newer one and cannot be edited");
        long user = ConversationRoutes.userId(ctx);
        // validate everything before the first write, so a bad field changes nothing
        String text = body.has("text") ? Json.requiredString(body, "text") : null;
        MemoryKind kind = body.has("kind") ? kind(Json.requiredString(body, "kind")) : current.kind();
        Boolean pinned = body.has("pinned") ? Json.optionalBoolean(body, "pinned", current.pinned()) : null;
        Memory m = current;
        if (text != null || kind != current.kind()) m = memory.get().update(user, current.id(), kind, text != null ? text : current.text());
        if (pinned != null && pinned != m.pinned()) m = memory.get().setPinned(user, current.id(), pinned);
        ctx.json(Dto.memory(m));
    }

    private void search(Context ctx) {
        String q = requiredQuery(ctx, "q");
        int k = intQuery(ctx, "k", 5, 1, 50);
        ctx.json(memory.get().retrieve(ConversationRoutes.userId(ctx), q, k).stream().map(Dto::retrieved).toList());
    }

    private Memory find(Context ctx) {
        return memory.get().store().find(ConversationRoutes.userId(ctx), ConversationRoutes.id(ctx))
                .filter(m -> m.state() == Memory.State.ACTIVE)
                .orElseThrow(() -> notFound(ctx));
    }

    private static ApiException notFound(Context ctx) {
        return ApiException.notFound("memory_not_found", "no memory with id " + ctx.pathParam("id"));
    }

    private static MemoryKind kind(String wire) {
        try {
            return MemoryKind.fromWire(wire);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid_value", e.getMessage());
        }
    }

    private static void rejectUnknown(JsonNode body, Set<String> allowed) {
        body.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) throw ApiException.badRequest("unknown_field", "unknown field '" + f + "'; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
        });
    }

    private static String requiredQuery(Context ctx, String name) {
        String v = ctx.queryParam(name);
        if (v == null || v.isBlank()) throw ApiException.badRequest("missing_parameter", "query parameter '" + name + "' is required");
        if (v.length() > MemoryStore.MAX_TEXT_CHARS) throw ApiException.badRequest("invalid_value", "'" + name + "' must be at most " + MemoryStore.MAX_TEXT_CHARS + " characters");
        return v;
    }

    private static int intQuery(Context ctx, String name, int dflt, int min, int max) {
        String v = ctx.queryParam(name);
        if (v == null) return dflt;
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // fall through
        }
        throw ApiException.badRequest("invalid_value", "'" + name + "' must be a whole number from " + min + " to " + max + ", not '" + v + "'");
    }

}
