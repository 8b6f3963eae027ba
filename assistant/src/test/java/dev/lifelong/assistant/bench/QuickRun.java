package dev.lifelong.assistant.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.cli.LifelongCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code ./bench/run NAME --quick --out DIR} as the launcher does: the CLI in a JVM of its own (so llama.cpp and
 * PyTorch start fresh, as for a user), and checks that it exits 0 and writes {@code DIR/NAME.json}, one figure per
 * line, each naming its machine. Timings are never asserted.
 */
final class QuickRun {
    private QuickRun() {}

    /** The checkout's root (tests run in the module's folder). */
    static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !(Files.isRegularFile(dir.resolve("DEVELOPERS.md")) && Files.isDirectory(dir.resolve("assistant")))) dir = dir.getParent();
        if (dir == null) throw new IllegalStateException("no checkout root above " + Path.of("").toAbsolutePath());
        return dir;
    }

    /**
     * A guard against a hung run, not a timing: quick runs take seconds to ~2 minutes on an idle 2-core machine, but
     * several times that on one shared with other builds (learning: 9+ minutes at a load average of 12).
     */
    static final long TIMEOUT_MINUTES = 20;

    /** The figures the run wrote. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> run(String bench, Path out) throws Exception {
        long timeoutMinutes = TIMEOUT_MINUTES;
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Dlifelong.home=" + repoRoot()));
        String twins = System.getProperty("lifelong.twins");
        if (twins != null) cmd.add("-Dlifelong.twins=" + twins);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LifelongCli.class.getName(), "bench", bench, "--quick", "--out", out.toString()));
        Path log = out.resolve(bench + "-quick.log");
        Files.createDirectories(out);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("MKL_CBWR", "AUTO,STRICT"); // as ./lifelong sets it
        Process p = pb.start();
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("./bench/run " + bench + " --quick did not finish in " + timeoutMinutes + " minutes; the end of its output:\n" + tail(log));
        }
        assertThat(p.exitValue()).as("exit code of ./bench/run %s --quick; the end of its output:%n%s", bench, tail(log)).isZero();
        Path json = out.resolve(bench + ".json");
        assertThat(json).as("./bench/run writes DIR/NAME.json").isRegularFile();
        List<Map<String, Object>> figures = new ArrayList<>();
        ObjectMapper mapper = new ObjectMapper();
        for (String line : Files.readAllLines(json, StandardCharsets.UTF_8)) figures.add(mapper.readValue(line, Map.class));
        assertThat(figures).as("figures in %s", json).isNotEmpty();
        assertThat(figures).allSatisfy(f -> assertThat(f).containsKey("machine"));
        return figures;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (Exception e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
