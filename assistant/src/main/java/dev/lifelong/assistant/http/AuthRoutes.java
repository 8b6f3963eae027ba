package dev.lifelong.assistant.http;

import dev.lifelong.assistant.auth.AccountService;
import dev.lifelong.assistant.auth.AuthException;
import dev.lifelong.assistant.auth.Caller;
import dev.lifelong.memory.Accounts;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Sign-in, sessions, API keys and user management, and the gate in front of every {@code /api} and {@code /v1}
 * request: a session cookie or an API key ({@code Authorization: Bearer ll_…}), else 401. A request with the cookie
 * must come from this origin (the browser's {@code Sec-Fetch-Site} and {@code Origin} say so), else 403, and a
 * state-changing one must echo the session's CSRF token in {@code X-CSRF-Token}, else 403. A key with memory off may
 * only chat ({@code /v1}). Sign-in takes JSON only and refuses other sites, so no page can sign a visitor's browser
 * into another account (decision 024).
 */
final class AuthRoutes {
    static final String COOKIE = "lifelong_session";
    /** Marks a browser that signed in as a name before: its attempts are not locked out by others' failures. */
    static final String DEVICE_COOKIE = "lifelong_device";
    private static final long DEVICE_COOKIE_SECONDS = java.time.Duration.ofDays(365).toSeconds();
    private static final String CALLER = "lifelong.caller";
    private static final Set<String> PUBLIC = Set.of("/api/auth/status", "/api/auth/login");
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final AccountService accounts;
    private final boolean secureCookies;

    AuthRoutes(AccountService accounts, boolean secureCookies) {
        this.accounts = accounts;
        this.secureCookies = secureCookies;
    }

    /** The caller of an authenticated request (set by the gate). */
    static Caller caller(Context ctx) {
        Caller c = ctx.attribute(CALLER);
        if (c == null) throw AuthException.unauthorized("unauthorized", "sign in or send an API key");
        return c;
    }

    void register(RoutesConfig r) {
        r.before(this::gate);
        r.get("/api/auth/status", this::status);
        r.post("/api/auth/login", this::login);
        r.post("/api/auth/logout", ctx -> {
            accounts.logout(ctx.cookie(COOKIE));
            ctx.header("Set-Cookie", cookie("", 0));
            ctx.status(204);
        });
        r.get("/api/auth/me", ctx -> ctx.json(me(caller(ctx))));
        r.post("/api/auth/password", ctx -> {
            var body = Json.object(ctx);
            Json.allowOnly(body, "current", "new");
            Caller caller = caller(ctx);
            accounts.changePassword(caller, Json.optionalString(body, "current").orElse(null), Json.requiredString(body, "new"));
            // the change ended every session of the user and revoked their keys; this browser gets a fresh session
            if (caller.via() == Caller.Via.SESSION) startSession(ctx, accounts.accounts().createSession(caller.userId(), AccountService.SESSION_LIFETIME));
            ctx.status(204);
        });
        r.get("/api/keys", ctx -> ctx.json(accounts.keys(caller(ctx)).stream().map(AuthRoutes::key).toList()));
        r.post("/api/keys", ctx -> {
            var body = ctx.body().isBlank() ? Json.MAPPER.createObjectNode() : Json.object(ctx);
            Json.allowOnly(body, "name", "memory");
            var created = accounts.createKey(caller(ctx), Json.optionalString(body, "name").orElse(null), Json.optionalBoolean(body, "memory", true));
            Map<String, Object> out = new LinkedHashMap<>(key(created.key()));
            out.put("secret", created.secret());
            ctx.status(201).json(out);
        });
        r.patch("/api/keys/{id}", ctx -> {
            var body = Json.object(ctx);
            Json.allowOnly(body, "memory");
            if (!body.has("memory") || !body.get("memory").isBoolean()) throw ApiException.badRequest("invalid_value", "memory must be true or false");
            if (!accounts.setKeyMemory(caller(ctx), ConversationRoutes.id(ctx), body.get("memory").asBoolean())) throw ApiException.notFound("key_not_found", "no such key");
            ctx.status(204);
        });
        r.delete("/api/keys/{id}", ctx -> {
            if (!accounts.revokeKey(caller(ctx), ConversationRoutes.id(ctx))) throw ApiException.notFound("key_not_found", "no such active key");
            ctx.status(204);
        });
        r.get("/api/users", ctx -> ctx.json(accounts.users(caller(ctx)).stream().map(AuthRoutes::account).toList()));
        r.post("/api/users", ctx -> {
            var body = Json.object(ctx);
            Json.allowOnly(body, "name", "password");
            var created = accounts.addUser(caller(ctx), Json.requiredString(body, "name"), Json.optionalString(body, "password").orElse(null));
            Map<String, Object> out = new LinkedHashMap<>(account(created.account()));
            out.put("apiKey", created.apiKey());
            ctx.status(201).json(out);
        });
        r.delete("/api/users/{id}", ctx -> {
            long id = ConversationRoutes.id(ctx);
            try {
                accounts.removeUser(caller(ctx), id);
            } catch (java.util.NoSuchElementException e) {
                throw ApiException.notFound("user_not_found", "no such user");
            }
            ctx.status(204);
        });
    }

    /** The gate: runs before every handler. */
    private void gate(Context ctx) {
        String path = ctx.path();
        if (!path.startsWith("/api") && !path.startsWith("/v1")) return;
        if (ctx.method().name().equals("OPTIONS")) return;
        String key = bearer(ctx);
        Optional<Caller> caller = accounts.authenticate(key == null ? ctx.cookie(COOKIE) : null, key);
        if (caller.isPresent() && caller.get().via() == Caller.Via.SESSION) refuseOtherSites(ctx);
        caller.ifPresent(c -> ctx.attribute(CALLER, c));
        if (PUBLIC.contains(path)) return;
        if (caller.isEmpty()) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"lifelong\"");
            throw AuthException.unauthorized(key != null ? "invalid_api_key" : "unauthorized", key != null
                    ? "this API key is not valid (revoked, or from another installation)"
                    : "sign in, or send an API key as 'Authorization: Bearer …' (the owner's is in owner.key in the data folder)");
        }
        if (caller.get().chatOnly() && !path.startsWith("/v1/") && !path.equals("/api/auth/me")) {
            throw AuthException.forbidden("key_limited_to_chat", "this API key has memory off and may only chat (/v1/…);"
                    + " use a key with memory on, or sign in, for anything else");
        }
        if (caller.get().via() == Caller.Via.SESSION && !SAFE_METHODS.contains(ctx.method().name())) {
            String sent = ctx.header("X-CSRF-Token");
            if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), caller.get().csrfToken().getBytes(StandardCharsets.UTF_8))) {
                throw AuthException.forbidden("csrf", "missing or wrong X-CSRF-Token header (reload the page)");
            }
        }
    }

    private void status(Context ctx) {
        Caller c = ctx.attribute(CALLER);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("signedIn", c != null);
        out.put("setupNeeded", accounts.setupNeeded());
        if (c != null) out.putAll(me(c));
        ctx.json(out);
    }

    /**
     * A cookie is sent with requests that other pages start too (another site, or another port on 127.0.0.1, which
     * SameSite counts as the same site). Browsers say where a request comes from: {@code Sec-Fetch-Site} (anything but
     * same-origin, or none for a typed address, is refused) and {@code Origin} (must be this server's own).
     */
    static void refuseOtherSites(Context ctx) {
        String site = ctx.header("Sec-Fetch-Site");
        String origin = ctx.header("Origin");
        String own = ctx.scheme() + "://" + ctx.host();
        boolean otherSite = site != null && !site.equals("same-origin") && !site.equals("none");
        if (otherSite || (origin != null && !origin.equalsIgnoreCase(own))) {
            throw AuthException.forbidden("cross_site", "requests from other sites are refused (" + (otherSite
                    ? "Sec-Fetch-Site: " + site : "Origin: " + Json.abbreviate(origin)) + "); open Lifelong at " + own);
        }
    }

    /**
     * JSON only (a form or a text/plain fetch from another page needs no CORS preflight; application/json does), and
     * never from another site: a page must not be able to sign its visitor into an account of its choosing.
     */
    private void login(Context ctx) {
        String type = ctx.contentType() == null ? "" : ctx.contentType().split(";")[0].strip();
        if (!type.equalsIgnoreCase("application/json")) {
            throw new ApiException(415, "invalid_request_error", "unsupported_media_type",
                    "sign in with a JSON body (Content-Type: application/json)");
        }
        refuseOtherSites(ctx);
        var body = Json.object(ctx);
        Json.allowOnly(body, "name", "password", "key");
        String token;
        if (body.has("key")) {
            token = accounts.loginWithKey(Json.requiredString(body, "key"));
        } else {
            String name = Json.requiredString(body, "name");
            var signIn = accounts.login(name, Json.requiredString(body, "password"), ctx.ip(), ctx.cookie(DEVICE_COOKIE));
            token = signIn.sessionToken();
            ctx.res().addHeader("Set-Cookie", DEVICE_COOKIE + "=" + signIn.deviceToken() + "; Path=/api/auth/login; Max-Age="
                    + DEVICE_COOKIE_SECONDS + "; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : ""));
        }
        startSession(ctx, token);
        Caller c = accounts.authenticate(token, null).orElseThrow();
        ctx.json(me(c));
    }

    private void startSession(Context ctx, String token) {
        ctx.res().addHeader("Set-Cookie", cookie(token, AccountService.SESSION_LIFETIME.toSeconds()));
    }

    private String cookie(String value, long maxAge) {
        return COOKIE + "=" + value + "; Path=/; Max-Age=" + maxAge + "; HttpOnly; SameSite=Strict" + (secureCookies ? "; Secure" : "");
    }

    private static String bearer(Context ctx) {
        String h = ctx.header("Authorization");
        if (h == null) return null;
        if (h.regionMatches(true, 0, "Bearer ", 0, 7)) return h.substring(7).strip();
        throw AuthException.unauthorized("invalid_api_key", "the Authorization header must be 'Bearer <key>'");
    }

    private Map<String, Object> me(Caller c) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("user", account(accounts.account(c.userId())));
        out.put("via", c.via() == Caller.Via.SESSION ? "session" : "api_key");
        if (c.csrfToken() != null) out.put("csrfToken", c.csrfToken());
        return out;
    }

    static Map<String, Object> account(Accounts.Account a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", a.id());
        out.put("name", a.name());
        out.put("role", a.role().name().toLowerCase());
        out.put("hasPassword", a.hasPassword());
        out.put("createdAt", a.createdAt());
        return out;
    }

    static Map<String, Object> key(Accounts.ApiKey k) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", k.id());
        out.put("name", k.name());
        out.put("prefix", k.prefix());
        out.put("memory", k.memory());
        out.put("createdAt", k.createdAt());
        out.put("lastUsedAt", k.lastUsedAt());
        out.put("revokedAt", k.revokedAt());
        return out;
    }
}
