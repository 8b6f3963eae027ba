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
    void hostNamesGivenToAllowRemoteAreAnsweredAndNoOthers() throws Exception {
        AssistantConfig config = ConfigLoader.load(dir, Map.of("host", "127.0.0.1", "port", "0", "allow-remote", "lifelong.home,NAS.local",
                "model", TestModels.tiny().toString(), "context-size", "1024", "update-window", "off"), Map.of());
        assertThat(config.allowRemote()).isTrue();
        assertThat(config.acceptedHostNames()).contains("lifelong.home", "nas.local", "localhost");
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of("allow-remote", "not a host!"), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("host names");
        try (Assistant assistant = Assistant.start(config, dir.resolve("none.gguf"))) {
            for (String host : new String[] {"lifelong.home", "nas.local:" + assistant.port(), "192.168.1.5:" + assistant.port()}) {
                assertThat(RawHttp.send(assistant.port(), "GET", "/healthz", Map.of("Host", host), new byte[0], 20_000).status()).as(host).isEqualTo(200);
            }
            assertThat(RawHttp.send(assistant.port(), "GET", "/healthz", Map.of("Host", "lifelong.home.evil.example"), new byte[0], 20_000).status())
                    .isEqualTo(421);
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
        // the password from a file (the command line would show it to every user of the machine in ps)
        Path passwordFile = Files.writeString(dir.resolve("keystore-password"), "s3cret-pass\n");
        AssistantConfig config = ConfigLoader.load(data, Map.of("port", "0", "model", TestModels.tiny().toString(), "context-size", "1024",
                "parallel", "1", "max-tokens", "8", "update-window", "off", "tls-keystore", keystore.toString(),
                "tls-keystore-password-file", passwordFile.toString()), Map.of());
        assertThat(config.tlsKeystorePassword()).isEqualTo("s3cret-pass");
        assertThat(ConfigLoader.load(data, Map.of(), Map.of(ConfigLoader.KEYSTORE_PASSWORD_ENV, "from the environment"))
                .tlsKeystorePassword()).isEqualTo("from the environment");
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
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"" + assistant.ownerKey() + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
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
