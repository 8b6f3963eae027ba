package dev.lifelong.assistant.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clients that hold the server's resources on purpose: hundreds of request bodies that trickle in, a body sent one
 * byte at a time, and one member opening progress streams without end. Whoever else uses the server must still be
 * answered; each case is bounded in count and time and runs on loopback only.
 */
class SlowClientsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** More than the 250 platform threads Jetty's pool had: each slow body used to hold one of them. */
    static final int SLOW_BODIES = 300;
    @TempDir static Path data;
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(data, TestModels.tiny(), 1024, 4);
    }

    @AfterAll
    static void stop() { server.close(); }

    static Socket slowLogin(int port) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        OutputStream out = s.getOutputStream();
        out.write(("POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: 64\r\n\r\n{").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return s;
    }

    @Test
    void hundredsOfTricklingBodiesDoNotStopOtherClients() throws Exception {
        int port = server.assistant.port();
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < SLOW_BODIES; i++) slow.add(slowLogin(port));
            // every one of them is now waiting for the rest of its body; the health probe and a member still get answers
            RawHttp.Response health = RawHttp.send(port, "GET", "/healthz", Map.of(), new byte[0], 20_000);
            assertThat(health.status()).isEqualTo(200);
            RawHttp.Response list = RawHttp.send(port, "GET", "/api/conversations", Map.of("Authorization", "Bearer " + server.apiKey),
                    new byte[0], 20_000);
            assertThat(list.status()).isEqualTo(200);
        } finally {
            for (Socket s : slow) s.close();
        }
    }

    @Test
    void aBodySentByteByByteIsCutOffWith408() throws Exception {
        int port = server.assistant.port();
        try (Socket s = slowLogin(port)) {
            s.setSoTimeout(20_000);
            Thread.sleep(1_500);
            s.getOutputStream().write('"');
            s.getOutputStream().flush();
            byte[] head = new byte[12];
            int n = s.getInputStream().readNBytes(head, 0, head.length);
            assertThat(new String(head, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 408");
        }
    }

    @Test
    void oneMemberCannotHoldUnlimitedProgressStreams() throws Exception {
        TestServer bob = server.newUser("bob");
        TestServer ada = server.newUser("ada");
        HttpClient http = HttpClient.newHttpClient();
        List<InputStream> open = new ArrayList<>();
        try {
            for (int i = 0; i < dev.lifelong.assistant.auth.LiveRequests.PROGRESS_PER_USER; i++) open.add(progress(http, bob));
            HttpResponse<InputStream> refused = http.send(HttpRequest.newBuilder(bob.uri("/api/adapters/progress"))
                    .header("Authorization", "Bearer " + bob.apiKey).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofInputStream());
            open.add(refused.body()); // a stream that was let in by mistake is closed at the end, not read for 10 minutes
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            assertThat(JSON.readTree(refused.body()).at("/error/code").asText()).isEqualTo("too_many_streams");
            // the cap is bob's: ada still gets hers, and the server answers everyone else
            open.add(progress(http, ada));
            assertThat(RawHttp.send(server.assistant.port(), "GET", "/healthz", Map.of(), new byte[0], 20_000).status()).isEqualTo(200);
        } finally {
            for (InputStream in : open) in.close();
        }
    }

    /** Opens a progress stream and reads its first event, so the server has really started it. */
    static InputStream progress(HttpClient http, TestServer who) throws Exception {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(who.uri("/api/adapters/progress"))
                .header("Authorization", "Bearer " + who.apiKey).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        assertThat(reader.readLine()).isEqualTo("event: progress");
        return r.body();
    }
}
