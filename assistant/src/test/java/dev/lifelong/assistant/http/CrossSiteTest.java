package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.CookieManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What web pages the user visits can make the browser send: a sign-in into an account of the page's choosing (form
 * post, text/plain fetch), requests with the session cookie from another port on 127.0.0.1 (same site for SameSite),
 * and requests under the page's own name pointed at 127.0.0.1 (DNS rebinding). Each is refused; so is framing.
 */
class CrossSiteTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path data;
    static TestServer server;
    static int port;
    static String origin;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.tiny(), 1024, 4);
        port = server.assistant.port();
        origin = "http://127.0.0.1:" + port;
        server.post("/api/users", "{\"name\":\"victim\",\"password\":\"victim's password\"}");
    }

    @AfterAll
    static void stop() { server.close(); }

    static JsonNode json(String body) throws Exception { return JSON.readTree(body); }

    static HttpResponse<String> login(HttpClient http, String contentType, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/api/auth/login")).POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) b.header("Content-Type", contentType);
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void signInTakesJsonFromThisOriginOnlyAndRefusalsCountForNothing() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String wrong = "{\"name\":\"victim\",\"password\":\"a wrong guess\"}";
        String attackerKey = server.newUser("mallory").apiKey;
        for (int i = 0; i < 4; i++) {
            // what a page can send without a CORS preflight: a form post or a text/plain fetch
            assertThat(login(http, "text/plain;charset=UTF-8", wrong, Map.of()).statusCode()).isEqualTo(415);
            assertThat(login(http, "application/x-www-form-urlencoded", "key=" + attackerKey, Map.of()).statusCode()).isEqualTo(415);
            assertThat(login(http, null, "{\"key\":\"" + attackerKey + "\"}", Map.of()).statusCode()).isEqualTo(415);
            // and what the browser says about a request from elsewhere
            for (Map<String, String> elsewhere : java.util.List.of(Map.of("Origin", "https://evil.example"),
                    Map.of("Sec-Fetch-Site", "cross-site"), Map.of("Sec-Fetch-Site", "same-site"),
                    Map.of("Origin", "http://127.0.0.1:1"), Map.of("Origin", "null"))) {
                HttpResponse<String> r = login(http, "application/json", wrong, elsewhere);
                assertThat(r.statusCode()).as(elsewhere.toString()).isEqualTo(403);
                assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("cross_site");
                assertThat(login(http, "application/json", "{\"key\":\"" + attackerKey + "\"}", elsewhere).headers().allValues("set-cookie"))
                        .as("no session from another site").isEmpty();
            }
        }
        // none of the 28 refused wrong passwords counted: the right one still gets in (five would have locked it)
        HttpResponse<String> ok = login(HttpClient.newHttpClient(), "application/json; charset=utf-8",
                "{\"name\":\"victim\",\"password\":\"victim's password\"}", Map.of("Origin", origin, "Sec-Fetch-Site", "same-origin"));
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @Test
    void theSessionCookieWorksOnlyForRequestsFromThisOrigin() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
        HttpResponse<String> in = login(browser, "application/json", "{\"key\":\"" + server.apiKey + "\"}", Map.of());
        String csrf = json(in.body()).get("csrfToken").asText();
        HttpResponse<String> mine = browser.send(HttpRequest.newBuilder(server.uri("/api/conversations"))
                .header("Sec-Fetch-Site", "same-origin").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(mine.statusCode()).isEqualTo(200);
        // a page on another port of 127.0.0.1: the same site, so the browser sends the SameSite=Strict cookie along
        HttpResponse<String> read = browser.send(HttpRequest.newBuilder(server.uri("/api/conversations"))
                .header("Sec-Fetch-Site", "same-site").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).isEqualTo(403);
        HttpResponse<String> write = browser.send(HttpRequest.newBuilder(server.uri("/api/conversations"))
                .header("Content-Type", "application/json").header("X-CSRF-Token", csrf).header("Origin", "http://127.0.0.1:1")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(write.statusCode()).isEqualTo(403);
        assertThat(json(write.body()).at("/error/code").asText()).isEqualTo("cross_site");
        // an API key is not sent by browsers on their own: programs may call from anywhere
        HttpResponse<String> program = server.send(HttpRequest.newBuilder(server.uri("/api/conversations"))
                .header("Origin", "https://some-tool.example").header("Sec-Fetch-Site", "cross-site"));
        assertThat(program.statusCode()).isEqualTo(200);
    }

    @Test
    void onlyLocalhostAndAddressesAreAnsweredSoDnsRebindingReachesNothing() throws Exception {
        for (String path : new String[] {"/", "/app.js", "/healthz", "/api/auth/status", "/api/conversations"}) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Host", "evil.example:" + port);
            headers.put("Authorization", "Bearer " + server.apiKey);
            RawHttp.Response r = RawHttp.send(port, "GET", path, headers, new byte[0], 20_000);
            assertThat(r.status()).as(path).isEqualTo(421);
            assertThat(json(r.body()).at("/error/code").asText()).isEqualTo("unknown_host");
        }
        RawHttp.Response signIn = RawHttp.send(port, "POST", "/api/auth/login",
                Map.of("Host", "127.0.0.1.evil.example:" + port, "Content-Type", "application/json"),
                "{\"name\":\"victim\",\"password\":\"x\"}".getBytes(StandardCharsets.UTF_8), 20_000);
        assertThat(signIn.status()).isEqualTo(421);
        for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.1"}) {
            assertThat(RawHttp.send(port, "GET", "/healthz", Map.of("Host", host), new byte[0], 20_000).status()).as(host).isEqualTo(200);
        }
    }

    @Test
    void everyResponseTellsTheBrowserToBeStrict() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String path : new String[] {"/", "/app.js", "/api/auth/status", "/api/no-such-thing"}) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(server.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
            String csp = r.headers().firstValue("content-security-policy").orElse("");
            assertThat(csp).as(path).contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
                    "media-src 'none'", "frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(r.headers().firstValue("x-frame-options")).as(path).contains("DENY");
            assertThat(r.headers().firstValue("x-content-type-options")).as(path).contains("nosniff");
            assertThat(r.headers().firstValue("referrer-policy")).as(path).contains("no-referrer");
        }
        // nothing in the page needs 'unsafe-inline': no inline script, style or event handler
        String page = http.send(HttpRequest.newBuilder(server.uri("/")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(page).doesNotContainPattern("<script(?![^>]*\\bsrc=)[^>]*>").doesNotContain("<style").doesNotContainPattern("\\sstyle=")
                .doesNotContainPattern("\\son[a-z]+=");
    }
}
