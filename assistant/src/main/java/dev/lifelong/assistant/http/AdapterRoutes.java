package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.auth.LiveRequests;
import dev.lifelong.assistant.chat.ClientGoneException;
import dev.lifelong.assistant.update.UpdateService;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.UpdateJob;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** "Your model": adapter versions with their figures, train now, rollback, and live progress over SSE. */
final class AdapterRoutes {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A progress stream ends after this long; the page reconnects. */
    private static final long STREAM_MILLIS = 10 * 60_000;

    private final UpdateService updates;
    private final LiveRequests live;

    AdapterRoutes(UpdateService updates, LiveRequests live) {
        this.updates = updates;
        this.live = live;
    }

    void register(RoutesConfig r) {
        r.get("/api/adapters", ctx -> ctx.json(overview(ConversationRoutes.userId(ctx))));
        r.post("/api/adapters/train", ctx -> {
            try {
                ctx.status(202).json(job(updates.trainNow(ConversationRoutes.userId(ctx))));
            } catch (dev.lifelong.loop.LifelongUpdate.UpdateException e) {
                throw new ApiException(409, "invalid_request_error", "training_unavailable", e.getMessage());
            }
        });
        r.post("/api/adapters/{id}/serve", ctx -> {
            try {
                ctx.json(version(updates.serve(ConversationRoutes.userId(ctx), ConversationRoutes.id(ctx))));
            } catch (IllegalArgumentException e) {
                if (e.getMessage().startsWith("no adapter version")) throw new ApiException(404, "not_found_error", "adapter_not_found", e.getMessage());
                throw ApiException.badRequest("adapter_unavailable", e.getMessage());
            }
        });
        r.post("/api/adapters/base", ctx -> {
            updates.serveBase(ConversationRoutes.userId(ctx));
            ctx.status(204);
        });
        r.get("/api/adapters/progress", this::progress);
        r.get("/api/export", ctx -> {
            long user = ConversationRoutes.userId(ctx);
            java.nio.file.Path file = updates.exportBundle(user);
            try {
                String name = "lifelong-" + AuthRoutes.caller(ctx).name() + "-" + java.time.LocalDate.now() + ".zip";
                ctx.header("Content-Disposition", attachment(name));
                ctx.header("Content-Length", Long.toString(java.nio.file.Files.size(file)));
                ctx.contentType("application/zip");
                try (var in = java.nio.file.Files.newInputStream(file)) {
                    in.transferTo(ctx.res().getOutputStream());
                }
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        });
        r.patch("/api/adapters/settings", ctx -> {
            var body = Json.object(ctx);
            for (var it = body.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("updateWindow")) throw ApiException.badRequest("unknown_field", "unknown field '" + f + "'; give updateWindow");
            }
            String window = Json.requiredString(body, "updateWindow").strip();
            try {
                updates.setWindow(ConversationRoutes.userId(ctx), window);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid_value", e.getMessage() + ", or off");
            }
            ctx.json(overview(ConversationRoutes.userId(ctx)));
        });
        r.post("/api/adapters/prune", ctx -> {
            var body = Json.objectWith(ctx, "keep");
            if (!body.has("keep") || !body.get("keep").canConvertToInt() || body.get("keep").asInt() < 1 || !body.get("keep").isIntegralNumber()) {
                throw ApiException.badRequest("invalid_value", "keep must be a whole number of versions, at least 1");
            }
            ctx.json(Map.of("deleted", updates.prune(ConversationRoutes.userId(ctx), body.get("keep").asInt())));
        });
    }

    private Map<String, Object> overview(long user) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("serving", updates.serving(user).map(AdapterRoutes::version).orElse(null));
        m.put("versions", updates.versions(user).stream().map(AdapterRoutes::version).toList());
        m.put("jobs", updates.jobs(user).stream().map(AdapterRoutes::job).toList());
        m.put("progress", updates.progress(user).orElse(null));
        m.put("updateWindow", updates.window(user).map(Object::toString).orElse("off"));
        return m;
    }

    /**
     * {@code Content-Disposition} for a download named {@code name}: an ASCII {@code filename} for old clients and the
     * exact name as RFC 5987 {@code filename*} (UTF-8, percent-encoded), so "lifelong-张三-….zip" arrives intact.
     */
    static String attachment(String name) {
        StringBuilder ascii = new StringBuilder();
        name.codePoints().forEach(c -> ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' ? (char) c : '_'));
        StringBuilder encoded = new StringBuilder();
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$&+-.^_`|~".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", (int) c));
            }
        }
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    /**
     * Server-sent {@code progress} events for the caller's update jobs until the client leaves (heartbeat every 15 s).
     * The stream waits on a virtual thread (no platform thread is held); a user holds at most a few at once.
     */
    private void progress(Context ctx) {
        long user = ConversationRoutes.userId(ctx);
        try (var request = live.start(AuthRoutes.caller(ctx), LiveRequests.Kind.PROGRESS)) {
            SseStream sse = new SseStream(ctx);
            LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
            Object ended = new Object();
            request.onEnd(() -> queue.add(ended));
            Runnable unsubscribe = updates.subscribe(p -> {
                if (p.userId() == user) queue.add(p);
            });
            try {
                sse.event("progress", updates.progress(user).orElse(null));
                long end = System.currentTimeMillis() + STREAM_MILLIS;
                while (System.currentTimeMillis() < end) {
                    Object p = queue.poll(15, TimeUnit.SECONDS);
                    if (p == ended) return; // the user was removed, or the credentials were revoked
                    if (p == null) sse.event("heartbeat", Map.of());
                    else sse.event("progress", p);
                }
            } catch (ClientGoneException e) {
                // the page was closed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the server is stopping
            } finally {
                unsubscribe.run();
            }
        }
    }

    static Map<String, Object> version(AdapterVersion v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", v.id());
        m.put("version", v.version());
        m.put("parentId", v.parentId());
        m.put("state", v.state().wireName());
        m.put("serving", v.serving());
        m.put("hasFile", v.file() != null);
        m.put("createdAt", v.createdAt().toString());
        m.put("promotedAt", v.promotedAt() == null ? null : v.promotedAt().toString());
        m.put("reason", v.reason());
        try {
            m.put("report", JSON.readTree(v.report()));
        } catch (Exception e) {
            m.put("report", null);
        }
        return m;
    }

    static Map<String, Object> job(UpdateJob j) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", j.id());
        m.put("origin", j.origin().name().toLowerCase(Locale.ROOT));
        m.put("state", j.state().name().toLowerCase(Locale.ROOT));
        m.put("attempts", j.attempts());
        m.put("phase", j.phase());
        m.put("error", j.error());
        m.put("adapterVersionId", j.adapterVersionId());
        m.put("createdAt", j.createdAt().toString());
        m.put("startedAt", j.startedAt() == null ? null : j.startedAt().toString());
        m.put("finishedAt", j.finishedAt() == null ? null : j.finishedAt().toString());
        m.put("notBefore", j.notBefore().toString());
        return m;
    }
}
