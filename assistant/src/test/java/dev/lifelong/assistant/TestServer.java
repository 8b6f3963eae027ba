package dev.lifelong.assistant;

import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.config.AssistantConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** A real assistant on a free loopback port with a real data dir, plus a small HTTP client for it. */
public final class TestServer implements AutoCloseable {
    public final Assistant assistant;
    public final Path dataDir;
    /** The API key every request carries (the owner's, from owner.key, unless {@link #as} chose another). */
    public final String apiKey;
    private final boolean owner;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestServer(Assistant assistant, Path dataDir, String apiKey, boolean owner) {
        this.assistant = assistant;
        this.dataDir = dataDir;
        this.apiKey = apiKey;
        this.owner = owner;
    }

    /** The same server seen by another caller: requests carry {@code key} (null: no credentials at all). */
    public TestServer as(String key) { return new TestServer(assistant, dataDir, key, false); }

    /** Adds a member through the owner's API and returns a client that uses their first key. */
    public TestServer newUser(String name) {
        var res = post("/api/users", "{\"name\":\"" + name + "\"}");
        if (res.statusCode() != 201) throw new AssertionError("adding user " + name + ": " + res.statusCode() + " " + res.body());
        String key = res.body().replaceAll(".*\"apiKey\":\"([^\"]+)\".*", "$1");
        return as(key);
    }

    public static TestServer start(Path dataDir, Path model, int contextSize, int maxTokens) {
        return start(dataDir, model, contextSize, maxTokens, null);
    }

    public static TestServer start(Path dataDir, Path model, int contextSize, int maxTokens, Path seedling) {
        AssistantConfig config = new AssistantConfig(dataDir, "127.0.0.1", 0, model, 2, 0, contextSize, 2, maxTokens, 0f,
                AssistantConfig.DEFAULT_SYSTEM_PROMPT, "off");
        Assistant assistant = Assistant.start(config, seedling == null ? dataDir.resolve("no-seedling.gguf") : seedling);
        return new TestServer(assistant, dataDir, assistant.ownerKey(), true);
    }

    public URI uri(String path) { return URI.create(assistant.url()).resolve(path); }

    public HttpResponse<String> get(String path) { return send(HttpRequest.newBuilder(uri(path)).GET()); }

    public HttpResponse<String> delete(String path) { return send(HttpRequest.newBuilder(uri(path)).DELETE()); }

    public HttpResponse<String> post(String path, String json) { return send(request(path, "POST", json)); }

    public HttpResponse<String> patch(String path, String json) { return send(request(path, "PATCH", json)); }

    /** POST with one extra header (e.g. X-Lifelong-Memory). */
    public HttpResponse<String> post(String path, String json, String header, String value) {
        return send(request(path, "POST", json).header(header, value));
    }

    private HttpRequest.Builder request(String path, String method, String json) {
        return HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(json));
    }

    /** Sends a request built by the caller, with this client's key added. */
    public HttpResponse<String> send(HttpRequest.Builder b) {
        if (apiKey != null) b.setHeader("Authorization", "Bearer " + apiKey);
        try {
            return http.send(b.timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One server-sent event. */
    public record Event(String name, String data) {}

    /** POSTs and reads the event stream until it ends, or until {@code stopAfter} matches an event (then disconnects). */
    public List<Event> stream(String path, String json, Predicate<Event> stopAfter) {
        List<Event> events = new ArrayList<>();
        try {
            HttpRequest.Builder b = request(path, "POST", json).timeout(Duration.ofSeconds(120));
            if (apiKey != null) b.setHeader("Authorization", "Bearer " + apiKey);
            HttpResponse<java.io.InputStream> res = http.send(b.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (var in = res.body(); var reader = new java.io.BufferedReader(new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8))) {
                if (res.statusCode() != 200) {
                    events.add(new Event("http-" + res.statusCode(), new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)));
                    return events;
                }
                String name = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data.length() > 0 || name != null) {
                            Event e = new Event(name, data.toString());
                            events.add(e);
                            name = null;
                            data.setLength(0);
                            if (stopAfter != null && stopAfter.test(e)) return events;
                        }
                    } else if (line.startsWith("event: ")) {
                        name = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        if (data.length() > 0) data.append('\n');
                        data.append(line.substring(6));
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return events;
    }

    /** Polls until the condition holds; fails after the timeout. */
    public static void eventually(Duration timeout, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Boolean.TRUE.equals(condition.call())) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met within " + timeout);
            Thread.sleep(20);
        }
    }

    @Override
    public void close() { if (owner) assistant.close(); }
}
