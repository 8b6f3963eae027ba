package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.memory.OnlineBackup;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code user}, {@code backup} and {@code restore} as real processes next to a running server. */
class AccountsCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;

    record Run(int exit, String output) {
        String lastLine() { List<String> lines = output.strip().lines().toList(); return lines.get(lines.size() - 1); }
    }

    Run cli(Map<String, String> env, String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    Run cli(String... args) throws Exception { return cli(Map.of(), null, args); }

    @Test
    void userAddPrintsAWorkingKeyAsTheLastLine() throws Exception {
        Path data = dir.resolve("data");
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            Run added = cli("user", "add", "ada", "--data", data.toString());
            assertThat(added.exit()).as(added.output()).isZero();
            String key = added.lastLine();
            assertThat(key).startsWith("ll_");
            TestServer ada = server.as(key);
            assertThat(ada.get("/api/conversations").statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(ada.get("/api/auth/me").body()).at("/user/name").asText()).isEqualTo("ada");

            Run again = cli("user", "add", "ADA", "--data", data.toString());
            assertThat(again.exit()).isNotZero();
            assertThat(again.output()).contains("already exists");
            Run bad = cli("user", "add", "../evil", "--data", data.toString());
            assertThat(bad.exit()).isNotZero();
            assertThat(bad.output()).contains("user name");
            Run shortPw = cli(Map.of(), "short\n", "user", "password", "ada", "--password-stdin", "--data", data.toString());
            assertThat(shortPw.exit()).isNotZero();
            assertThat(shortPw.output()).contains("at least 8");
            assertThat(cli(Map.of(), "a fine password\n", "user", "password", "ada", "--password-stdin", "--data", data.toString()).exit()).isZero();
            assertThat(server.as(null).post("/api/auth/login", "{\"name\":\"ada\",\"password\":\"a fine password\"}").statusCode()).isEqualTo(200);

            Run list = cli("user", "list", "--data", data.toString());
            assertThat(list.output()).contains("owner").contains("ada").contains("password");
            Run removed = cli("user", "remove", "ada", "--yes", "--data", data.toString());
            assertThat(removed.exit()).as(removed.output()).isZero();
            assertThat(ada.get("/api/conversations").statusCode()).isEqualTo(401);
        }
    }

    @Test
    void backupWhileServingRestoreWhenStoppedAndDamagedOrHalfWrittenBackupsAreRefused() throws Exception {
        Path data = dir.resolve("data");
        Path backup = dir.resolve("backup-1");
        long conv;
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            conv = JSON.readTree(server.post("/api/conversations", "{\"title\":\"before the backup\"}").body()).get("id").asLong();
            server.stream("/api/conversations/" + conv + "/messages", "{\"content\":\"remember this\"}", null);
            Run b = cli("backup", "--out", backup.toString(), "--data", data.toString());
            assertThat(b.exit()).as(b.output()).isZero();
            assertThat(b.output()).contains("backed up");
            assertThat(OnlineBackup.integrityCheck(backup.resolve("lifelong.db"))).isEqualTo("ok");
            Run busy = cli("restore", backup.toString(), "--data", data.toString());
            assertThat(busy.exit()).isNotZero();
            assertThat(busy.output()).contains("running");
            // after the backup: a change that the restore will undo
            server.post("/api/conversations", "{\"title\":\"after the backup\"}");

            // a full disk: a clear error and nothing left behind
            Run full = cli(Map.of("LIFELONG_FAULT", "disk-full:backup"), null, "backup", "--out", dir.resolve("backup-full").toString(), "--data", data.toString());
            assertThat(full.exit()).isNotZero();
            assertThat(full.output()).contains("No space left on device").contains("nothing was left behind");
            try (Stream<Path> s = Files.list(dir)) {
                assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("backup-full"));
            }

            // killed after writing, before the rename: no folder that looks like a backup
            Run crashed = cli(Map.of("LIFELONG_CRASH_AT", "backup"), null, "backup", "--out", dir.resolve("backup-2").toString(), "--data", data.toString());
            assertThat(crashed.exit()).isEqualTo(137);
            assertThat(dir.resolve("backup-2")).doesNotExist();
            Path partial;
            try (Stream<Path> s = Files.list(dir)) {
                partial = s.filter(p -> p.getFileName().toString().startsWith(".backup-2.partial-")).findFirst().orElseThrow();
            }
            assertThat(cli("restore", partial.toString(), "--data", data.toString()).output()).contains("running");
        }
        Path partial;
        try (Stream<Path> s = Files.list(dir)) {
            partial = s.filter(p -> p.getFileName().toString().startsWith(".backup-2.partial-")).findFirst().orElseThrow();
        }
        Files.delete(partial.resolve("backup.json"));
        Run notABackup = cli("restore", partial.toString(), "--data", data.toString());
        assertThat(notABackup.exit()).isNotZero();
        assertThat(notABackup.output()).contains("not a Lifelong backup");

        // one changed byte in the database copy: refused, data untouched
        Path tampered = dir.resolve("tampered");
        copyTree(backup, tampered);
        byte[] bytes = Files.readAllBytes(tampered.resolve("lifelong.db"));
        bytes[bytes.length - 100] ^= 1;
        Files.write(tampered.resolve("lifelong.db"), bytes);
        Run refused = cli("restore", tampered.toString(), "--data", data.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.output()).contains("checksum");

        Run restored = cli("restore", backup.toString(), "--data", data.toString());
        assertThat(restored.exit()).as(restored.output()).isZero();
        assertThat(restored.output()).contains("kept as");
        try (TestServer server = TestServer.start(data, TestModels.tiny(), 1024, 8)) {
            String titles = server.get("/api/conversations").body();
            assertThat(titles).contains("before the backup").doesNotContain("after the backup");
            assertThat(server.get("/api/conversations/" + conv + "/messages").body()).contains("remember this");
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
