package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lifelong serve} as a real process: banner, health, a chat, kill -9 mid-answer, restart. */
@Timeout(180)
class ServeProcessTest {
    @TempDir Path data;
    @TempDir Path home;

    Process serve(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Dlifelong.home=" + home, "-cp", System.getProperty("java.class.path"),
                LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Reads the process output until the "running at" line; returns the whole output so far. */
    static String untilRunning(Process p) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            out.append(line).append('\n');
            if (line.startsWith("Lifelong is running at ")) {
                Thread drain = new Thread(() -> { try { r.transferTo(java.io.Writer.nullWriter()); } catch (Exception ignored) { } });
                drain.setDaemon(true);
                drain.start();
                return out.toString();
            }
        }
        throw new AssertionError("serve exited before it was running:\n" + out);
    }

    static String url(String banner) {
        return banner.lines().filter(l -> l.startsWith("Lifelong is running at ")).findFirst().orElseThrow()
                .substring("Lifelong is running at ".length()).trim();
    }

    @Test
    void servesAndSurvivesKillDashNine() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Process p = serve("serve", "--port", "0", "--data", data.toString(), "--model", TestModels.slow().toString(),
                "--max-tokens", "3000", "--context-size", "4096", "--temperature", "0");
        String banner = untilRunning(p);
        assertThat(banner).contains("model  slow").doesNotContain("Exception");
        String base = url(banner);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        String key = "Bearer " + java.nio.file.Files.readString(data.resolve("owner.key")).strip();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "api/conversations")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode()).as("no credentials").isEqualTo(401);
        String conv = http.send(HttpRequest.newBuilder(URI.create(base + "api/conversations")).header("Authorization", key).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        long id = Long.parseLong(conv.replaceAll(".*\"id\":(\\d+).*", "$1"));
        // start a long answer, wait for the first tokens, then kill the server without warning
        var answer = http.sendAsync(HttpRequest.newBuilder(URI.create(base + "api/conversations/" + id + "/messages"))
                .header("Authorization", key).POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"write a lot\"}")).build(), HttpResponse.BodyHandlers.ofInputStream());
        var in = answer.get(60, TimeUnit.SECONDS).body();
        String head = new String(in.readNBytes(600), StandardCharsets.UTF_8);
        assertThat(head).contains("event: token");
        // conversations created one after another while the server dies: every one it acknowledged must survive
        java.util.List<Long> acknowledged = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread writer = new Thread(() -> {
            for (int i = 0; ; i++) {
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "api/conversations")).header("Authorization", key)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"title\":\"ack " + i + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 201) acknowledged.add(Long.parseLong(r.body().replaceAll(".*\"id\":(\\d+).*", "$1")));
                } catch (Exception serverGone) {
                    return;
                }
            }
        });
        writer.start();
        while (acknowledged.size() < 20) Thread.sleep(5);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        writer.join(30_000);

        try (var c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("lifelong.db"));
             var rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ok");
        }
        Process again = serve("serve", "--port", "0", "--data", data.toString(), "--model", TestModels.slow().toString());
        try {
            String base2 = url(untilRunning(again));
            String messages = http.send(HttpRequest.newBuilder(URI.create(base2 + "api/conversations/" + id + "/messages"))
                    .header("Authorization", key).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(messages).contains("\"content\":\"write a lot\"").contains("\"status\":\"partial\"");
            String all = http.send(HttpRequest.newBuilder(URI.create(base2 + "api/conversations")).header("Authorization", key).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (long ack : acknowledged) assertThat(all).as("acknowledged conversation " + ack).contains("\"id\":" + ack + ",");
        } finally {
            again.destroy();
            again.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withoutAnyModelItStillServesAndPrintsTheChoices() throws Exception {
        Process p = serve("--port", "0", "--data", data.toString());
        try {
            String banner = untilRunning(p);
            assertThat(banner).contains("none loaded").contains("Choose a model")
                    .contains("./lifelong serve --model /path/to/model.gguf")
                    .contains("./lifelong models pull qwen2.5-0.5b-instruct-q4_k_m")
                    .doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(Files.readString(data.resolve("config.properties"))).contains("#port=8377");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBadConfigFileIsAOneLineErrorNotAStackTrace() throws Exception {
        Files.writeString(data.resolve("config.properties"), "prot=1\n");
        Process p = serve("serve", "--data", data.toString());
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out).contains("error: unknown setting 'prot'").doesNotContain("\tat ");
    }

    @Test
    void aPortInUseIsExplained() throws Exception {
        try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Process p = serve("serve", "--data", data.toString(), "--port", String.valueOf(socket.getLocalPort()));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).isEqualTo(2);
            assertThat(out).contains("already in use").contains("--port").doesNotContain("\tat ");
        }
    }
}
