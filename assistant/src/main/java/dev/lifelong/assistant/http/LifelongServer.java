package dev.lifelong.assistant.http;

import dev.lifelong.assistant.chat.ChatException;
import dev.lifelong.assistant.chat.ChatService;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.model.ModelNotLoadedException;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.ModelLoadException;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * The assistant's HTTP server: the web UI (static files and WebJars), its JSON/SSE API and the OpenAI-compatible API.
 * Every error leaves as JSON in the OpenAI error shape; bad input is a 4xx, never a 500.
 */
public final class LifelongServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LifelongServer.class);
    public static final long MAX_REQUEST_BYTES = 1 << 20;
    /**
     * A request body that arrives slower than this on average is cut off with 408 (Jetty checks at each read): a body
     * sent a byte at a time must not keep a request open for hours. Any real client, even on a poor network, is faster.
     */
    static final long MIN_REQUEST_BYTES_PER_SECOND = 256;
    private static final String ERROR_WRITTEN = "lifelong.errorWritten";

    private final Javalin app;

    private LifelongServer(Javalin app) { this.app = app; }

    public static LifelongServer start(String host, int port, ModelManager models, ChatService chat,
            java.util.function.Supplier<dev.lifelong.memory.retrieval.MemoryService> memory,
            dev.lifelong.memory.MessageStore messages, GenerationOptions apiDefaults,
            dev.lifelong.assistant.update.UpdateService updates, dev.lifelong.assistant.auth.AccountService accounts,
            Tls tls, java.util.Set<String> hostNames) {
        AuthRoutes authRoutes = new AuthRoutes(accounts, tls != null);
        ModelRoutes modelRoutes = new ModelRoutes(models, updates == null ? java.util.Optional::empty : updates::trainingReport);
        MemoryRoutes memoryRoutes = new MemoryRoutes(memory, messages, chat.settings());
        ConversationRoutes conversationRoutes = new ConversationRoutes(chat, accounts.live());
        OpenAiRoutes openAi = new OpenAiRoutes(models, apiDefaults, chat, accounts.live());
        AdapterRoutes adapterRoutes = updates == null ? null : new AdapterRoutes(updates, accounts.live());
        Javalin app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_REQUEST_BYTES;
            config.jetty.threadPool = requestThreads();
            config.jetty.modifyHttpConfiguration(http -> http.setMinRequestDataRate(MIN_REQUEST_BYTES_PER_SECOND));
            config.jetty.host = host;
            config.jetty.port = port;
            config.staticFiles.add(files -> {
                files.hostedPath = "/";
                files.directory = "/web";
                files.location = Location.CLASSPATH;
            });
            config.staticFiles.enableWebjars();
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(context -> context.addFilter(
                    new org.eclipse.jetty.ee10.servlet.FilterHolder(new RequestGuard(hostNames)), "/*",
                    java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST)));
            if (tls != null) config.jetty.addConnector((server, httpConfig) -> tls.connector(server, httpConfig, host, port));
            authRoutes.register(config.routes);
            modelRoutes.register(config.routes);
            conversationRoutes.register(config.routes);
            memoryRoutes.register(config.routes);
            if (adapterRoutes != null) adapterRoutes.register(config.routes);
            openAi.register(config.routes);
            config.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.type(), e.code(), e.getMessage(), e.param()));
            config.routes.exception(dev.lifelong.assistant.auth.AuthException.class, (e, ctx) -> {
                if (e.retryAfter() != null) ctx.header("Retry-After", Long.toString(Math.max(1, e.retryAfter().toSeconds())));
                String type = switch (e.kind()) {
                    case UNAUTHORIZED -> "authentication_error";
                    case FORBIDDEN -> "permission_error";
                    case RATE_LIMITED -> "rate_limit_error";
                };
                error(ctx, e.status(), type, e.code(), e.getMessage());
            });
            config.routes.exception(java.util.NoSuchElementException.class, (e, ctx) -> error(ctx, 404, "not_found_error", "not_found", e.getMessage()));
            config.routes.exception(ChatException.class, (e, ctx) -> {
                switch (e.kind()) {
                    case INVALID -> error(ctx, 400, "invalid_request_error", "invalid_request", e.getMessage());
                    case NOT_FOUND -> error(ctx, 404, "not_found_error", e.code(), e.getMessage());
                    case CONFLICT -> error(ctx, 409, "invalid_request_error", "busy", e.getMessage());
                }
            });
            config.routes.exception(dev.lifelong.assistant.runtime.GenerationQueue.Busy.class, (e, ctx) -> {
                ctx.header("Retry-After", Long.toString(e.retryAfter().toSeconds()));
                error(ctx, 429, "rate_limit_error", e.userLimit() ? "too_many_answers" : "server_busy", e.getMessage());
            });
            config.routes.exception(ModelNotLoadedException.class, (e, ctx) -> error(ctx, 503, "model_not_loaded", "model_not_loaded", e.getMessage()));
            config.routes.exception(ModelLoadException.class, (e, ctx) -> error(ctx, 400, "invalid_request_error", "model_invalid", e.getMessage()));
            config.routes.exception(PromptTooLongException.class, (e, ctx) -> error(ctx, 400, "invalid_request_error", "context_length_exceeded", e.getMessage()));
            config.routes.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, 400, "invalid_request_error", "invalid_value", e.getMessage()));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> {
                String code = e.getStatus() == 413 ? "request_too_large" : "http_" + e.getStatus();
                String msg = e.getStatus() == 413 ? "the request body is larger than " + MAX_REQUEST_BYTES + " bytes" : e.getMessage();
                error(ctx, e.getStatus(), e.getStatus() >= 500 ? "server_error" : "invalid_request_error", code, msg);
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                // Jetty's verdict while the body was read: too slow (408, the minimum data rate) or malformed
                for (Throwable c = e; c != null; c = c.getCause()) {
                    if (c instanceof org.eclipse.jetty.io.EofException) {
                        // the client closed the connection before its body was complete: nobody to answer, nothing wrong here
                        error(ctx, 400, "invalid_request_error", "request_incomplete", "the request body ended early");
                        return;
                    }
                    if (c instanceof org.eclipse.jetty.http.HttpException http && http.getCode() >= 400 && http.getCode() < 500) {
                        error(ctx, http.getCode(), "invalid_request_error", http.getCode() == 408 ? "request_timeout" : "http_" + http.getCode(),
                                http.getCode() == 408 ? "the request body arrived too slowly" : String.valueOf(http.getReason()));
                        return;
                    }
                }
                log.error("Unexpected error on {} {}", ctx.method(), ctx.path(), e);
                error(ctx, 500, "server_error", "internal_error", "internal error: " + e.getMessage());
            });
            config.routes.error(404, ctx -> {
                if (ctx.attribute(ERROR_WRITTEN) == null && (ctx.path().startsWith("/api") || ctx.path().startsWith("/v1"))) {
                    error(ctx, 404, "not_found_error", "unknown_endpoint", "no endpoint " + ctx.method() + " " + ctx.path());
                }
            });
            config.routes.error(405, ctx -> {
                if (ctx.attribute(ERROR_WRITTEN) == null) {
                    error(ctx, 405, "invalid_request_error", "method_not_allowed", "method " + ctx.method() + " is not allowed on " + ctx.path());
                }
            });
        });
        app.start();
        return new LifelongServer(app);
    }

    /**
     * Jetty's selectors and acceptors on a small pool of platform threads; every request handler on a virtual thread
     * of its own. A handler that waits (for a request body that trickles in, for the next token, on a progress stream)
     * then holds no platform thread, so no number of slow clients can leave the others without a thread. Native calls
     * that block for long (generating, loading a model) run on platform threads of their own (GenerationQueue,
     * LlamaRuntime.load), never on a request's virtual thread (decision 024).
     */
    private static org.eclipse.jetty.util.thread.QueuedThreadPool requestThreads() {
        var pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(64, 4);
        pool.setName("lifelong-http");
        pool.setVirtualThreadsExecutor(org.eclipse.jetty.util.VirtualThreads.getNamedVirtualThreadsExecutor("lifelong-request-"));
        return pool;
    }

    private static void error(Context ctx, int status, String type, String code, String message) {
        error(ctx, status, type, code, message, null);
    }

    private static void error(Context ctx, int status, String type, String code, String message, String param) {
        if (ctx.res().isCommitted()) return;
        ctx.attribute(ERROR_WRITTEN, Boolean.TRUE);
        ctx.status(status).json(Dto.error(type, code, message == null ? "error" : message, param));
    }

    public int port() {
        for (var c : app.jettyServer().server().getConnectors()) {
            if (c instanceof org.eclipse.jetty.server.ServerConnector sc && sc.getLocalPort() > 0) return sc.getLocalPort();
        }
        return app.port();
    }

    /** HTTPS from a PKCS#12 keystore: the only connector when configured, so nothing is served in clear text. */
    public record Tls(java.nio.file.Path keystore, String password) {
        org.eclipse.jetty.server.Connector connector(org.eclipse.jetty.server.Server server,
                org.eclipse.jetty.server.HttpConfiguration httpConfig, String host, int port) {
            var ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
            ssl.setKeyStorePath(keystore.toString());
            ssl.setKeyStoreType("PKCS12");
            if (password != null) ssl.setKeyStorePassword(password);
            var https = new org.eclipse.jetty.server.HttpConfiguration(httpConfig);
            // no SNI host check: a self-signed certificate for "localhost" is the common case, reached as 127.0.0.1
            https.addCustomizer(new org.eclipse.jetty.server.SecureRequestCustomizer(false));
            var connector = new org.eclipse.jetty.server.ServerConnector(server,
                    new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
                    new org.eclipse.jetty.server.HttpConnectionFactory(https));
            connector.setHost(host);
            connector.setPort(port);
            return connector;
        }
    }

    @Override
    public void close() { app.stop(); }

}
