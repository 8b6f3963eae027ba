package dev.lifelong.installer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * installer/install.sh against a temporary HOME: the files land where they should, systemd accepts the units, a second
 * run changes nothing, uninstall leaves no trace but the data, --purge removes that too. macOS agents are written (not
 * loaded) with LIFELONG_INSTALL_OS=Darwin.
 */
class InstallScriptTest {
    @TempDir Path tmp;

    record Run(int exit, String output) {}

    Run install(Path home, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", Path.of("install.sh").toAbsolutePath().toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HOME", home.toString());
        pb.environment().remove("XDG_CONFIG_HOME");
        pb.environment().remove("LIFELONG_HOME");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    static List<String> tree(Path root) throws Exception {
        if (!Files.exists(root)) return List.of();
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> !Files.isDirectory(p)).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void linuxUserUnitsInstallTwiceVerifyAndUninstallLeavesOnlyTheData() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home"));
        Path data = tmp.resolve("my data");
        Run first = install(home, Map.of("LIFELONG_INSTALL_OS", "Linux"), "--no-start", "--no-build", "--data", data.toString(), "--port", "8400");
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("http://127.0.0.1:8400/").contains("owner.key");
        Path units = home.resolve(".config/systemd/user");
        assertThat(tree(home)).containsExactlyInAnyOrder(".config/systemd/user/lifelong.service",
                ".config/systemd/user/lifelong-update.service", ".config/systemd/user/lifelong-update.timer", ".local/bin/lifelong");
        String service = Files.readString(units.resolve("lifelong.service"));
        Path launcher = Path.of("..", "lifelong").toAbsolutePath().normalize();
        assertThat(service).contains("ExecStart=\"" + launcher + "\" \"serve\" \"--data\" \"" + data + "\" \"--port\" \"8400\" \"--update-window\" \"off\"");
        assertThat(Files.readString(units.resolve("lifelong-update.service"))).contains("\"update\" \"--now\" \"--all\"");
        assertThat(Files.readString(units.resolve("lifelong-update.timer"))).contains("OnCalendar=*-*-* 03:30:00").contains("Persistent=true");
        assertThat(Files.readSymbolicLink(home.resolve(".local/bin/lifelong"))).isEqualTo(launcher);
        if (new File("/usr/bin/systemd-analyze").canExecute() || new File("/bin/systemd-analyze").canExecute()) {
            Process verify = new ProcessBuilder("systemd-analyze", "verify", units.resolve("lifelong.service").toString(),
                    units.resolve("lifelong-update.service").toString(), units.resolve("lifelong-update.timer").toString())
                    .redirectErrorStream(true).start();
            String out = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(verify.exitValue()).as(out).isZero();
        }

        Map<String, String> before = new java.util.TreeMap<>();
        for (String f : tree(home)) if (!f.endsWith("bin/lifelong")) before.put(f, Files.readString(home.resolve(f)));
        Run second = install(home, Map.of("LIFELONG_INSTALL_OS", "Linux"), "--no-start", "--no-build", "--data", data.toString(), "--port", "8400");
        assertThat(second.exit()).as(second.output()).isZero();
        for (var e : before.entrySet()) assertThat(Files.readString(home.resolve(e.getKey()))).as("unchanged: " + e.getKey()).isEqualTo(e.getValue());

        Files.writeString(data.resolve("lifelong.db"), "pretend user data");
        Run removed = install(home, Map.of("LIFELONG_INSTALL_OS", "Linux"), "--uninstall", "--data", data.toString());
        assertThat(removed.exit()).as(removed.output()).isZero();
        assertThat(removed.output()).contains("Your data is still in");
        assertThat(tree(home)).as("no trace in HOME").isEmpty();
        assertThat(data.resolve("lifelong.db")).hasContent("pretend user data");
        Run purged = install(home, Map.of("LIFELONG_INSTALL_OS", "Linux"), "--uninstall", "--purge", "--data", data.toString());
        assertThat(purged.exit()).isZero();
        assertThat(data).doesNotExist();
    }

    @Test
    void macosLaunchAgentsAreWritten() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("mac"));
        Path data = tmp.resolve("data & more");
        Run r = install(home, Map.of("LIFELONG_INSTALL_OS", "Darwin"), "--no-start", "--no-build", "--data", data.toString());
        assertThat(r.exit()).as(r.output()).isZero();
        String server = Files.readString(home.resolve("Library/LaunchAgents/dev.lifelong.server.plist"));
        assertThat(server).contains("<string>serve</string>").contains("<key>KeepAlive</key><true/>").contains("data &amp; more");
        assertThat(Files.readString(home.resolve("Library/LaunchAgents/dev.lifelong.update.plist")))
                .contains("<string>--all</string>").contains("<key>Hour</key><integer>3</integer>");
        assertThat(install(home, Map.of("LIFELONG_INSTALL_OS", "Darwin"), "--uninstall", "--data", data.toString()).exit()).isZero();
        assertThat(tree(home.resolve("Library/LaunchAgents"))).isEmpty();
    }

    @Test
    void badOptionsAreRefusedWithTheReason() throws Exception {
        Path home = Files.createDirectories(tmp.resolve("h"));
        Run port = install(home, Map.of(), "--port", "eighty");
        assertThat(port.exit()).isEqualTo(2);
        assertThat(port.output()).contains("--port needs a number");
        Run purge = install(home, Map.of(), "--purge");
        assertThat(purge.exit()).isEqualTo(2);
        assertThat(purge.output()).contains("--purge goes with --uninstall");
        assertThat(install(home, Map.of(), "--frobnicate").output()).contains("unknown option");
    }
}
