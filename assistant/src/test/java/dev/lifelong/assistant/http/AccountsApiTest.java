package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.assistant.auth.AccountService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;

/** Accounts through the real server: the contract of owner.key, 401 without credentials, sessions, CSRF, keys, users. */
class AccountsApiTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.tiny(), 1024, 8);
    }

    @AfterAll
    static void stop() { server.close(); }

    static JsonNode json(HttpResponse<String> r) throws Exception { return JSON.readTree(r.body()); }

    /** A browser-like client: keeps cookies, sends no API key. */
    static final class Browser {
        final HttpClient http = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        final TestServer target;
        String csrf;

        Browser() { this(server); }

        Browser(TestServer target) { this.target = target; }

        HttpResponse<String> send(String method, String path, String body, boolean withCsrf) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(target.uri(path)).header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (withCsrf && csrf != null) b.header("X-CSRF-Token", csrf);
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> login(String body) throws Exception {
            HttpResponse<String> r = send("POST", "/api/auth/login", body, false);
            if (r.statusCode() == 200) csrf = json(r).get("csrfToken").asText();
            return r;
        }
    }

    @Test
    void ownerKeyIsWrittenPrivatelyAndEveryApiNeedsCredentials() throws Exception {
        Path key = data.resolve("owner.key");
        assertThat(Files.readString(key).strip()).startsWith("ll_").isEqualTo(server.apiKey);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        TestServer anonymous = server.as(null);
        for (String path : new String[] {"/api/conversations", "/api/memories", "/api/adapters", "/api/settings", "/api/status",
                "/api/keys", "/api/users", "/api/search?q=x", "/v1/models", "/api/no-such-thing"}) {
            HttpResponse<String> r = anonymous.get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(json(r).at("/error/type").asText()).isEqualTo("authentication_error");
        }
        assertThat(anonymous.post("/v1/chat/completions", "{\"model\":\"default\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode()).isEqualTo(401);
        assertThat(anonymous.post("/api/conversations", "{}").statusCode()).isEqualTo(401);
        assertThat(server.as("ll_not-a-real-key").get("/api/conversations").statusCode()).isEqualTo(401);
        assertThat(anonymous.get("/healthz").statusCode()).as("the health probe stays open").isEqualTo(200);
        assertThat(anonymous.get("/").statusCode()).as("the UI's static files (sign-in page)").isEqualTo(200);
        assertThat(json(anonymous.get("/api/auth/status")).get("signedIn").asBoolean()).isFalse();
        assertThat(server.get("/v1/models").statusCode()).isEqualTo(200);
    }

    @Test
    void theOwnerSignsInWithTheKeySetsAPasswordAndStateChangesNeedTheCsrfToken(@TempDir Path own) throws Exception {
        // its own installation: setting the owner's password revokes the owner's keys
        try (TestServer fresh = TestServer.start(own, TestModels.tiny(), 1024, 8)) {
            Browser b = new Browser(fresh);
            Browser sameKey = new Browser(fresh);
            assertThat(b.login("{\"key\":\"" + fresh.apiKey + "\"}").statusCode()).isEqualTo(200);
            assertThat(sameKey.login("{\"key\":\"" + fresh.apiKey + "\"}").statusCode()).isEqualTo(200);
            assertThat(b.send("GET", "/api/conversations", null, false).statusCode()).as("cookie session reads").isEqualTo(200);
            HttpResponse<String> forged = b.send("POST", "/api/conversations", "{}", false);
            assertThat(forged.statusCode()).as("no CSRF token").isEqualTo(403);
            assertThat(json(forged).at("/error/code").asText()).isEqualTo("csrf");
            String real = b.csrf;
            b.csrf = "wrong";
            assertThat(b.send("POST", "/api/conversations", "{}", true).statusCode()).isEqualTo(403);
            b.csrf = real;
            assertThat(b.send("POST", "/api/conversations", "{}", true).statusCode()).isEqualTo(201);

            // a first password is not set with the API key itself: a leaked key must not take the account over for good
            HttpResponse<String> byKey = fresh.post("/api/auth/password", "{\"new\":\"correct horse battery\"}");
            assertThat(byKey.statusCode()).isEqualTo(403);
            assertThat(json(byKey).at("/error/code").asText()).isEqualTo("fresh_sign_in_required");
            assertThat(b.send("POST", "/api/auth/password", "{\"new\":\"short\"}", true).statusCode()).isEqualTo(400);
            assertThat(b.send("POST", "/api/auth/password", "{\"new\":\"correct horse battery\"}", true).statusCode()).isEqualTo(204);
            // the change revoked the owner's keys, ended the other session, and wrote a new owner.key
            assertThat(fresh.get("/api/auth/me").statusCode()).as("the old owner key").isEqualTo(401);
            assertThat(sameKey.send("GET", "/api/auth/me", null, false).statusCode()).as("the other browser").isEqualTo(401);
            String newKey = fresh.assistant.ownerKey();
            assertThat(newKey).startsWith("ll_").isNotEqualTo(fresh.apiKey);
            assertThat(json(fresh.as(newKey).get("/api/auth/me")).at("/user/hasPassword").asBoolean()).isTrue();
            assertThat(b.send("GET", "/api/auth/me", null, false).statusCode()).as("this browser got a new session").isEqualTo(200);
            Browser other = new Browser(fresh);
            assertThat(other.login("{\"name\":\"owner\",\"password\":\"correct horse battery\"}").statusCode()).isEqualTo(200);
            HttpResponse<String> me = other.send("GET", "/api/auth/me", null, false);
            assertThat(json(me).at("/user/role").asText()).isEqualTo("owner");
            assertThat(me.headers().allValues("set-cookie")).isEmpty();
            // changing again needs the current password
            assertThat(other.send("POST", "/api/auth/password", "{\"current\":\"nope nope nope\",\"new\":\"another long one\"}", true).statusCode()).isEqualTo(403);
            assertThat(other.send("POST", "/api/auth/logout", "{}", true).statusCode()).isEqualTo(204);
            assertThat(other.send("GET", "/api/conversations", null, false).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void aFirstPasswordNeedsASignInOfTheLastMinutes() throws Exception {
        String key = json(server.post("/api/users", "{\"name\":\"late\"}")).get("apiKey").asText();
        Browser b = new Browser();
        assertThat(b.login("{\"key\":\"" + key + "\"}").statusCode()).isEqualTo(200);
        // the session is older than the window (an old or stolen session, not a sign-in just now)
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + data.resolve("lifelong.db"));
             var st = db.createStatement()) {
            st.execute("PRAGMA busy_timeout = 5000");
            long userId = json(server.as(key).get("/api/auth/me")).at("/user/id").asLong();
            st.executeUpdate("UPDATE sessions SET created_at = created_at - " + (AccountService.FRESH_SIGN_IN.toMillis() + 60_000)
                    + " WHERE user_id = " + userId);
        }
        HttpResponse<String> old = b.send("POST", "/api/auth/password", "{\"new\":\"a fine password\"}", true);
        assertThat(old.statusCode()).isEqualTo(403);
        assertThat(json(old).at("/error/code").asText()).isEqualTo("fresh_sign_in_required");
        assertThat(b.login("{\"key\":\"" + key + "\"}").statusCode()).isEqualTo(200);
        assertThat(b.send("POST", "/api/auth/password", "{\"new\":\"a fine password\"}", true).statusCode()).isEqualTo(204);
        assertThat(server.as(key).get("/api/auth/me").statusCode()).as("the password change revoked the key").isEqualTo(401);
    }

    @Test
    void revokingAKeyEndsTheBrowserSessionsSignedInWithIt() throws Exception {
        TestServer keyed = server.newUser("keyed");
        JsonNode second = json(keyed.post("/api/keys", "{\"name\":\"second\"}"));
        Browser b = new Browser();
        assertThat(b.login("{\"key\":\"" + second.get("secret").asText() + "\"}").statusCode()).isEqualTo(200);
        assertThat(b.send("GET", "/api/conversations", null, false).statusCode()).isEqualTo(200);
        assertThat(keyed.delete("/api/keys/" + second.get("id").asLong()).statusCode()).isEqualTo(204);
        HttpResponse<String> after = b.send("GET", "/api/conversations", null, false);
        assertThat(after.statusCode()).as("the session signed in with the revoked key").isEqualTo(401);
        assertThat(keyed.get("/api/conversations").statusCode()).as("the user's other key still works").isEqualTo(200);
    }

    @Test
    void sessionCookieIsHttpOnlyAndSameSiteStrict() throws Exception {
        Browser b = new Browser();
        HttpResponse<String> r = b.login("{\"key\":\"" + server.apiKey + "\"}");
        String cookie = r.headers().firstValue("set-cookie").orElseThrow();
        assertThat(cookie).startsWith("lifelong_session=").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
    }

    @Test
    void failedSignInsAreRateLimitedPerNameButTheUsersOwnBrowserGetsIn() throws Exception {
        server.post("/api/users", "{\"name\":\"target\",\"password\":\"the right password\"}");
        Browser own = new Browser();
        assertThat(own.login("{\"name\":\"target\",\"password\":\"the right password\"}").statusCode()).isEqualTo(200);
        assertThat(own.send("POST", "/api/auth/logout", "{}", true).statusCode()).isEqualTo(204);
        Browser b = new Browser();
        for (int i = 0; i < 5; i++) {
            assertThat(b.login("{\"name\":\"target\",\"password\":\"guess " + i + "\"}").statusCode()).isEqualTo(401);
        }
        HttpResponse<String> limited = b.login("{\"name\":\"target\",\"password\":\"the right password\"}");
        assertThat(limited.statusCode()).as("a client that never signed in as target waits, right password or not").isEqualTo(429);
        assertThat(own.login("{\"name\":\"target\",\"password\":\"the right password\"}").statusCode())
                .as("the browser target signed in with before is not locked out by someone else's failures").isEqualTo(200);
        assertThat(Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 900L);
        assertThat(json(limited).at("/error/message").asText()).contains("try again");
        // unknown names fail the same way (no hint which names exist)
        assertThat(json(b.login("{\"name\":\"nobody-here\",\"password\":\"whatever1\"}")).at("/error/message").asText())
                .isEqualTo("wrong user name or password");
    }

    @Test
    void failuresFromThisMachineDoNotLockOutOtherNamesAndKeySignInIsNeverThrottled() throws Exception {
        server.post("/api/users", "{\"name\":\"bystander\",\"password\":\"bystander's password\"}");
        Browser attacker = new Browser();
        for (int i = 0; i < 25; i++) {
            assertThat(attacker.login("{\"name\":\"ghost" + i + "\",\"password\":\"wrong password\"}").statusCode()).isEqualTo(401);
            assertThat(attacker.login("{\"key\":\"ll_not-a-key-" + i + "\"}").statusCode()).isEqualTo(401);
        }
        // every client here is 127.0.0.1: an address count would now lock out everyone
        assertThat(new Browser().login("{\"name\":\"bystander\",\"password\":\"bystander's password\"}").statusCode()).isEqualTo(200);
        assertThat(new Browser().login("{\"key\":\"" + server.apiKey + "\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void aKeyWithMemoryOffMayOnlyChat() throws Exception {
        TestServer u = server.newUser("chatter");
        u.post("/api/memories", "{\"text\":\"The user's bank PIN hint is a blue door.\"}");
        JsonNode limited = json(u.post("/api/keys", "{\"name\":\"plugin\",\"memory\":false}"));
        TestServer plugin = u.as(limited.get("secret").asText());
        for (String[] r : new String[][] {{"GET", "/api/memories"}, {"GET", "/api/memories/search?q=bank"}, {"GET", "/api/search?q=bank"},
                {"GET", "/api/export"}, {"GET", "/api/conversations"}, {"GET", "/api/keys"}, {"POST", "/api/keys"},
                {"PATCH", "/api/keys/" + limited.get("id").asLong()}, {"PATCH", "/api/settings"}, {"POST", "/api/auth/password"}}) {
            HttpResponse<String> res = plugin.send(HttpRequest.newBuilder(plugin.uri(r[1])).header("Content-Type", "application/json")
                    .method(r[0], r[0].equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{\"memory\":true}")));
            assertThat(res.statusCode()).as(r[0] + " " + r[1]).isEqualTo(403);
            assertThat(json(res).at("/error/code").asText()).as(r[1]).isEqualTo("key_limited_to_chat");
            assertThat(res.body()).doesNotContain("blue door");
        }
        assertThat(json(u.get("/api/keys")).toString()).as("the key's memory is still off").contains("\"memory\":false");
        assertThat(new Browser().login("{\"key\":\"" + limited.get("secret").asText() + "\"}").statusCode())
                .as("nor can it sign a browser in").isEqualTo(403);
        assertThat(plugin.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(plugin.get("/api/auth/me").statusCode()).isEqualTo(200);
        assertThat(plugin.post("/v1/chat/completions", "{\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
                .statusCode()).isEqualTo(200);
    }

    @Test
    void lookAlikeUserNamesAreRefused() throws Exception {
        for (String name : new String[] {"\u043ewner", "\uff21\uff24\uff2d\uff29\uff2e", "0wner", "OWNER"}) {
            HttpResponse<String> r = server.post("/api/users", "{\"name\":\"" + name + "\"}");
            assertThat(r.statusCode()).as(name).isEqualTo(400);
        }
        assertThat(server.get("/api/users").body()).doesNotContain("wner\",\"role\":\"member");
    }

    @Test
    void theExportKeepsANonLatinNameInContentDisposition() throws Exception {
        TestServer zhang = server.newUser("张三");
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(zhang.uri("/api/export"))
                .header("Authorization", "Bearer " + zhang.apiKey).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        String disposition = r.headers().firstValue("content-disposition").orElseThrow();
        assertThat(disposition).startsWith("attachment; filename=\"lifelong-__-").contains(".zip\"; filename*=UTF-8''lifelong-%E5%BC%A0%E4%B8%89-");
        assertThat(disposition.chars().allMatch(c -> c < 0x80)).as("headers are ASCII").isTrue();
    }

    @Test
    void apiKeysAreCreatedShownOnceAndRevoked() throws Exception {
        JsonNode created = json(server.post("/api/keys", "{\"name\":\"editor plugin\",\"memory\":false}"));
        String secret = created.get("secret").asText();
        assertThat(secret).startsWith("ll_");
        assertThat(created.get("memory").asBoolean()).isFalse();
        assertThat(server.get("/api/keys").body()).contains("editor plugin").doesNotContain(secret);
        TestServer plugin = server.as(secret);
        assertThat(plugin.get("/v1/models").statusCode()).isEqualTo(200);
        assertThat(server.delete("/api/keys/" + created.get("id").asLong()).statusCode()).isEqualTo(204);
        assertThat(plugin.get("/v1/models").statusCode()).isEqualTo(401);
        assertThat(json(plugin.get("/v1/models")).at("/error/code").asText()).isEqualTo("invalid_api_key");
        assertThat(server.delete("/api/keys/" + created.get("id").asLong()).statusCode()).isEqualTo(404);
    }

    @Test
    void aKeyWithMemoryOffNeitherUsesNorFeedsTheMemory() throws Exception {
        TestServer u = server.newUser("memo");
        u.post("/api/memories", "{\"text\":\"The user keeps bees on the roof of the house.\"}");
        String body = "{\"model\":\"default\",\"max_tokens\":2,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"Tell me about my bees\"}]}";
        int with = json(u.post("/v1/chat/completions", body)).at("/usage/prompt_tokens").asInt();
        String noMemory = json(u.post("/api/keys", "{\"name\":\"no memory\",\"memory\":false}")).get("secret").asText();
        HttpResponse<String> r = u.as(noMemory).post("/v1/chat/completions", body);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).at("/usage/prompt_tokens").asInt()).as("no memory block in the prompt").isLessThan(with);
        JsonNode convs = json(u.get("/api/conversations"));
        long apiConv = convs.get(0).get("id").asLong();
        assertThat(json(u.get("/api/conversations/" + apiConv + "/messages"))).as("only the first exchange was stored").hasSize(2);
    }

    @Test
    void onlyTheOwnerManagesUsersAndTheModel() throws Exception {
        TestServer member = server.newUser("plain");
        assertThat(member.get("/api/users").statusCode()).isEqualTo(403);
        assertThat(member.post("/api/users", "{\"name\":\"sneaky\"}").statusCode()).isEqualTo(403);
        assertThat(member.delete("/api/users/1").statusCode()).isEqualTo(403);
        assertThat(member.post("/api/model", "{\"path\":\"/tmp/x.gguf\"}").statusCode()).isEqualTo(403);
        assertThat(server.post("/api/users", "{\"name\":\"plain\"}").statusCode()).as("taken name").isEqualTo(400);
        assertThat(server.post("/api/users", "{\"name\":\"../../etc\"}").statusCode()).isEqualTo(400);
        assertThat(server.delete("/api/users/1").statusCode()).as("the owner stays").isEqualTo(400);
        long id = json(member.get("/api/auth/me")).at("/user/id").asLong();
        assertThat(server.delete("/api/users/" + id).statusCode()).isEqualTo(204);
        assertThat(member.get("/api/conversations").statusCode()).as("their key died with them").isEqualTo(401);
        assertThat(server.delete("/api/users/" + id).statusCode()).isEqualTo(404);
    }

    @Test
    void unknownFieldsAreRefusedByName() throws Exception {
        for (String[] c : new String[][] {{"/api/conversations", "{\"title\":\"x\",\"owner\":1}"},
                {"/api/keys", "{\"name\":\"k\",\"userId\":1}"}, {"/api/users", "{\"name\":\"zed\",\"role\":\"owner\"}"},
                {"/api/auth/login", "{\"name\":\"owner\",\"password\":\"x\",\"admin\":true}"}, {"/api/adapters/prune", "{\"keep\":2,\"all\":true}"}}) {
            HttpResponse<String> r = server.post(c[0], c[1]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(json(r).at("/error/code").asText()).as(c[0]).isEqualTo("unknown_field");
        }
        assertThat(server.get("/api/users").body()).as("no user was made a second owner").doesNotContain("zed");
    }
}
