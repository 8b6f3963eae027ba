package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property-based fuzzing of every endpoint with malformed, oversized and hostile input: bad JSON, wrong types, huge
 * numbers, deep nesting, bad UTF-8, path segments like {@code ../}, HTML and script. The server must answer 4xx (or
 * 2xx where the input happens to be valid), never 5xx, always with a JSON error body for errors.
 */
class ApiFuzzTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static Path data;
    static TestServer server;
    static long conversation;

    @BeforeContainer
    static void start() throws Exception {
        data = Files.createTempDirectory("lifelong-fuzz");
        server = TestServer.start(data, TestModels.tiny(), 1024, 4);
        conversation = JSON.readTree(server.post("/api/conversations", "{}").body()).get("id").asLong();
        server.stream("/api/conversations/" + conversation + "/messages", "{\"content\":\"hello\"}", null);
        server.post("/api/memories", "{\"text\":\"The user likes tea.\"}");
    }

    @AfterContainer
    static void stop() throws Exception {
        server.close();
        try (var walk = Files.walk(data)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** Every endpoint except those that start long work whatever the body says (model load, training). */
    static final List<String> ENDPOINTS = List.of(
            "GET /api/conversations", "POST /api/conversations", "PATCH /api/conversations/{id}", "DELETE /api/conversations/{id}",
            "GET /api/conversations/{id}/messages", "POST /api/conversations/{id}/messages", "POST /api/conversations/{id}/regenerate",
            "POST /api/conversations/{id}/edit", "POST /api/conversations/{id}/stop", "POST /api/messages/{id}/correction",
            "POST /api/messages/{id}/rating", "GET /api/messages/{id}/memories", "GET /api/memories", "POST /api/memories",
            "GET /api/memories/search", "GET /api/memories/{id}", "PATCH /api/memories/{id}", "DELETE /api/memories/{id}",
            "POST /api/memories/{id}/forget", "GET /api/settings", "PATCH /api/settings", "GET /api/search", "GET /api/status",
            "GET /api/adapters", "POST /api/adapters/{id}/serve", "POST /api/adapters/base", "PATCH /api/adapters/settings",
            "POST /api/adapters/prune", "GET /v1/models", "POST /v1/chat/completions", "GET /api/auth/status",
            "POST /api/auth/login", "GET /api/auth/me", "POST /api/auth/password", "GET /api/keys", "POST /api/keys",
            "PATCH /api/keys/{id}", "DELETE /api/keys/{id}", "GET /api/users", "POST /api/users", "DELETE /api/users/{id}");

    static final List<String> FIELDS = List.of("content", "title", "private", "text", "kind", "pinned", "correction", "rating",
            "model", "messages", "max_tokens", "temperature", "stream", "stop", "top_p", "seed", "name", "password", "key",
            "new", "current", "memory", "updateWindow", "keep", "apiMemory", "memoryExtraction", "role", "__proto__", "");

    static final List<String> HOSTILE_TEXT = List.of("", " ", "null", "<script>window.__pwned=1</script>",
            "<img src=x onerror=\"window.__pwned=1\">", "../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "\u0000", "\uD800",
            "\u202Egnp.exe", "🌱🌱🌱", "中文字符", "' OR 1=1 --", "\"; DROP TABLE messages; --", "%s%s%s%n", "${jndi:ldap://x}",
            "a".repeat(5_000), "\n\r\t", "user", "assistant", "system", "off", "on", "up", "down", "fact", "99:99-00:00");

    static final List<String> HOSTILE_NUMBERS = List.of("0", "-1", "1", "2147483648", "-9223372036854775809",
            "99999999999999999999999999999", "1e999999", "-1e-999999", "1.5", "NaN", "Infinity", "0x10", "1_000");

    @Provide
    Arbitrary<String> endpoints() { return Arbitraries.of(ENDPOINTS); }

    @Provide
    Arbitrary<String> bodies() {
        Arbitrary<String> text = Arbitraries.of(HOSTILE_TEXT).map(ApiFuzzTest::quote);
        Arbitrary<String> number = Arbitraries.of(HOSTILE_NUMBERS);
        Arbitrary<String> scalar = Arbitraries.oneOf(text, number, Arbitraries.of("true", "false", "null", "[]", "{}", "[1,2]",
                "{\"a\":{\"b\":[null]}}", "[\"x\",{\"role\":\"user\",\"content\":1}]",
                "[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"evil\",\"content\":\"x\"}]"));
        Arbitrary<String> field = Combinators.combine(Arbitraries.of(FIELDS), scalar).as((k, v) -> quote(k) + ":" + v);
        Arbitrary<String> object = field.list().ofMinSize(0).ofMaxSize(5).map(fs -> "{" + String.join(",", fs) + "}");
        Arbitrary<String> broken = Arbitraries.of("", "{", "}", "{\"content\":", "{\"content\":\"unterminated", "[1,2,", "nul",
                "{\"a\":1,}", "{'single':'quotes'}", "{\"content\":\"x\"}{\"content\":\"y\"}", "[".repeat(100_000),
                "{\"content\":\"" + "x".repeat(1_100_000) + "\"}", "\uFEFF{}", "{\"content\":\"\\ud800\"}", "{\"content\":\"\\u0000\"}");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(5, object), net.jqwik.api.Tuple.of(2, broken), net.jqwik.api.Tuple.of(1, scalar));
    }

    @Provide
    Arbitrary<String> segments() {
        return Arbitraries.of("0", "-1", "1", "99999999999999999999", "1e3", "abc", "..", "%2e%2e", "..%2f..%2fetc",
                "%00", "%ZZ", "1;DROP", "%3Cscript%3E", "%F0%9F%8C%B1", "%C0%AF", "%FF%FE", "1%20", "%20", "2147483648",
                String.valueOf(conversation));
    }

    @Property(tries = 400)
    void hostileJsonBodiesNeverCauseA5xx(@ForAll("endpoints") String endpoint, @ForAll("bodies") String body) throws Exception {
        String[] mp = endpoint.split(" ");
        send(mp[0], mp[1].replace("{id}", String.valueOf(conversation)), body.getBytes(StandardCharsets.UTF_8), endpoint + " with " + shorten(body));
    }

    @Property(tries = 200)
    void hostilePathSegmentsNeverCauseA5xx(@ForAll("endpoints") String endpoint, @ForAll("segments") String segment) throws Exception {
        String[] mp = endpoint.split(" ");
        if (!mp[1].contains("{id}")) return;
        send(mp[0], mp[1].replace("{id}", segment), "{}".getBytes(StandardCharsets.UTF_8), endpoint + " id=" + segment);
    }

    @Property(tries = 150)
    void invalidUtf8AndHostileQueryStringsNeverCauseA5xx(@ForAll("endpoints") String endpoint, @ForAll("segments") String q,
            @ForAll byte[] raw) throws Exception {
        String[] mp = endpoint.split(" ");
        String path = mp[1].replace("{id}", String.valueOf(conversation));
        byte[] body = new byte[raw.length + 16];
        System.arraycopy("{\"content\":\"".getBytes(StandardCharsets.US_ASCII), 0, body, 0, 12);
        System.arraycopy(raw, 0, body, 12, raw.length);
        body[body.length - 4] = (byte) 0xC3; // a lone lead byte: invalid UTF-8
        body[body.length - 3] = '"';
        body[body.length - 2] = '}';
        String query = "?q=" + q + "&k=" + q + "&limit=" + q + "&offset=" + q + "&history=" + q;
        send(mp[0], path + query, body, endpoint + query + " with invalid UTF-8");
    }

    static void send(String method, String target, byte[] body, String what) throws Exception {
        RawHttp.Response r = RawHttp.send(server.assistant.port(), method, target, server.apiKey, body);
        assertThat(r.status()).as(what + " -> " + r.status() + " " + shorten(r.body())).isLessThan(500);
        if (r.status() >= 400) {
            boolean jsonError;
            try {
                jsonError = JSON.readTree(r.body()).at("/error/message").isTextual();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                jsonError = false;
            }
            assertThat(jsonError).as(what + " -> " + r.status() + ": JSON error body, got " + shorten(r.body())).isTrue();
        }
    }

    static String shorten(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "… (" + s.length() + " chars)" : s;
    }

    static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
