package dev.lifelong.assistant.http;

import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.model.ModelStatus;
import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.installer.models.CatalogEntry;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Health, status and model choice. */
final class ModelRoutes {
    static final String VERSION = "0.1.0";
    private final ModelManager models;
    private final java.util.function.Supplier<java.util.Optional<dev.lifelong.loop.TrainingReport>> training;

    ModelRoutes(ModelManager models, java.util.function.Supplier<java.util.Optional<dev.lifelong.loop.TrainingReport>> training) {
        this.models = models;
        this.training = training;
    }

    void register(RoutesConfig r) {
        r.get("/healthz", this::health);
        r.get("/api/status", ctx -> ctx.json(status(AuthRoutes.caller(ctx).isOwner())));
        r.post("/api/model", ctx -> { requireOwner(ctx); load(ctx); });
        r.post("/api/model/download", ctx -> { requireOwner(ctx); download(ctx); });
    }

    /** The base model is shared by every user of the installation, so only the owner changes it. */
    private static void requireOwner(Context ctx) {
        if (!AuthRoutes.caller(ctx).isOwner()) {
            throw dev.lifelong.assistant.auth.AuthException.forbidden("owner_only", "only the owner changes the model");
        }
    }

    /** Open to anyone who can reach the port, so it says whether a model is loaded and nothing about files. */
    private void health(Context ctx) {
        ModelStatus s = models.status();
        if (s.loaded()) {
            ctx.json(Map.of("status", "ok", "model", s.name()));
        } else {
            ctx.status(503).json(Map.of("status", "no_model"));
        }
    }

    /**
     * The model's file path and load errors (which name files) are for the owner, who chose them; members see the
     * model's name and whether one is loaded.
     */
    Map<String, Object> status(boolean owner) {
        ModelStatus s = models.status();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("loaded", s.loaded());
        model.put("name", s.name());
        model.put("path", owner ? s.path() : null);
        model.put("demo", s.demo());
        model.put("error", s.error() == null ? null : owner ? s.error() : "no model is loaded; the owner of this installation chooses one");
        if (s.loaded()) {
            // chats and trains / chats but cannot be trained (why) / training does not fit in memory now
            training.get().ifPresent(r -> {
                long free = dev.lifelong.lora.MemoryPlan.availableMemory();
                model.put("trainable", r.refusal(free).isEmpty());
                model.put("training", r.sentence(free));
            });
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", VERSION);
        body.put("model", model);
        body.put("choices", choices(models.choices()));
        body.put("download", s.download() == null || owner ? s.download()
                : new ModelStatus.DownloadState(s.download().id(), s.download().state(), s.download().bytes(), s.download().total(), null));
        return body;
    }

    private static List<Map<String, Object>> choices(List<CatalogEntry> entries) {
        return entries.stream().map(e -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", e.id());
            m.put("name", e.name());
            m.put("sizeBytes", e.sizeBytes());
            m.put("license", e.license());
            m.put("description", e.description());
            boolean trains = e.architecture() != null && dev.lifelong.lora.Trainability.ARCHITECTURES.contains(e.architecture());
            m.put("trainable", trains);
            m.put("training", trains ? "chats and trains" : "chats; cannot be trained by Lifelong (the '"
                    + e.architecture() + "' architecture is not implemented by the trainer)");
            return m;
        }).toList();
    }

    private void load(Context ctx) {
        String raw = Json.requiredString(Json.objectWith(ctx, "path"), "path").strip();
        if (raw.isEmpty()) throw ApiException.badRequest("missing_field", "'path' must not be empty");
        Path path;
        try {
            path = Path.of(raw.startsWith("~/") ? System.getProperty("user.home") + raw.substring(1) : raw);
        } catch (InvalidPathException e) {
            throw ApiException.badRequest("invalid_path", "not a valid path: " + raw);
        }
        if (!path.isAbsolute()) throw ApiException.badRequest("invalid_path", "give an absolute path, e.g. /home/me/models/model.gguf");
        try {
            models.loadUnlessBusy(path);
        } catch (ModelLoadException e) {
            throw ApiException.badRequest("model_invalid", e.getMessage());
        } catch (ModelManager.LoadInProgressException e) {
            throw new ApiException(409, "invalid_request_error", "model_loading", e.getMessage());
        }
        ctx.json(status(true));
    }

    private void download(Context ctx) {
        String id = Json.requiredString(Json.objectWith(ctx, "id"), "id");
        try {
            models.startDownload(id);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("unknown_model", e.getMessage());
        } catch (IllegalStateException e) {
            throw new ApiException(409, "invalid_request_error", "download_running", e.getMessage());
        }
        ctx.status(202).json(status(true));
    }
}
