package dev.lifelong.assistant.http;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.app.Assistant;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigException;
import dev.lifelong.assistant.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loopback by default; another interface only when asked for; HTTPS from a keystore. */
class BindingAndTlsTest {
    @TempDir Path dir;

    @Test
    void aNonLoopbackHostNeedsTheExplicitFlag() {
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of("host", "0.0.0.0"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--allow-remote");
        assertThat(ConfigLoader.load(dir, Map.of("host", "0.0.0.0", "allow-remote", "true")).host()).isEqualTo("0.0.0.0");
        assertThat(ConfigLoader.load(dir, Map.of()).host()).isEqualTo("127.0.0.1");
        for (String loopback : new String[] {"127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"}) {
            assertThat(AssistantConfig.isLoopback(loopback)).as(loopback).isTrue();
        }
        for (String remote : new String[] {"0.0.0.0", "::", "192.168.1.5", "127.0.0.1.evil.com", "example.com"}) {
            assertThat(AssistantConfig.isLoopback(remote)).as(remote).isFalse();
        }
    }

    @Test
    void serveWarnsWhenItListensOnTheNetworkWithoutTls() throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), dev.lifelong.assistant.cli.LifelongCli.class.getName(),
                "serve", "--host", "0.0.0.0", "--allow-remote", "--port", "0", "--data", dir.resolve("d").toString(),
                "--model", TestModels.tiny().toString()).redirectErrorStream(true).start();
        try {
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
            StringBuilder out = new StringBuilder();
            String line;
            while ((line = reader.readLine()) != null) {
                out.append(line).append('\n');
                if (line.startsWith("Lifelong is running at")) break;
            }
            assertThat(out.toString()).contains("WARNING: listening on 0.0.0.0 without TLS");
        } finally {
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void withAKeystoreItServesHttpsOnlyAndCookiesAreSecure() throws Exception {
        Path keystore = dir.resolve("tls.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "s3cret-pass", "-alias", "lifelong",
                "-keyalg", "EC", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2").redirectErrorStream(true).start();
        assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        AssistantConfig config = new AssistantConfig(data, "127.0.0.1", 0, TestModels.tiny(), 2, 0, 1024, 1, 8, 0f,
                AssistantConfig.DEFAULT_SYSTEM_PROMPT, "off", false, keystore, "s3cret-pass");
        try (Assistant assistant = Assistant.start(config, data.resolve("none.gguf"))) {
            assertThat(assistant.url()).startsWith("https://");
            SSLContext trustAll = SSLContext.getInstance("TLS");
            trustAll.init(null, new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) { }
                public void checkServerTrusted(X509Certificate[] c, String a) { }
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            HttpClient https = HttpClient.newBuilder().sslContext(trustAll).build();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(URI.create(assistant.url() + "healthz")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            HttpResponse<String> login = https.send(HttpRequest.newBuilder(URI.create(assistant.url() + "api/auth/login"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + assistant.ownerKey() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(200);
            assertThat(login.headers().firstValue("set-cookie").orElseThrow()).contains("Secure");
            // nothing answers in clear text on that port
            HttpClient plain = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();
            String clear = "http://127.0.0.1:" + assistant.port() + "/healthz";
            int status;
            try {
                status = plain.send(HttpRequest.newBuilder(URI.create(clear)).timeout(java.time.Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (java.io.IOException e) {
                status = -1;
            }
            assertThat(status).as("plain HTTP to the TLS port").isNotEqualTo(200);
        }
    }
}
