package dev.lifelong.assistant.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifelong.io.DurableFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The results history ({@code ./bench/run NAME --record}): every recorded run is one JSON file in
 * {@code docs/benchmarks/history/}, named {@code NAME-YYYYMMDDTHHMMSSZ-COMMIT.json}, with the commit that produced it,
 * when, on which machine and how busy that machine was. A run is recorded only from a checkout whose code is
 * committed, so the commit it names is the code that ran. The README's tables are generated from the latest record of
 * each benchmark ({@link BenchmarkReadme}).
 */
public final class BenchmarkHistory {
    public static final Path FOLDER = Path.of("docs", "benchmarks", "history");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private BenchmarkHistory() {}

    /** What a run looked like from outside: when it started and ended, and the machine's load around it. */
    public record RunContext(Instant started, Instant ended, double loadBefore, double loadAfter) {}

    /** Thrown when a run cannot be recorded; the message says why in words. */
    public static final class NotRecordableException extends RuntimeException {
        public NotRecordableException(String message) { super(message); }
    }

    /**
     * Refuses early (before a long run) what {@link #record} would refuse at the end: no git checkout, or code that is
     * not committed.
     */
    public static String requireRecordable(Path repo) {
        String commit = git(repo, "rev-parse", "HEAD").strip();
        // Uncommitted code would make the record name a commit that is not what ran. The history and the README are what
        // recording itself changes, so they may differ.
        String dirty = git(repo, "status", "--porcelain", "--untracked-files=all", "--", ".",
                ":(exclude)" + FOLDER.toString().replace('\\', '/'), ":(exclude)README.md").strip();
        if (!dirty.isEmpty()) {
            List<String> lines = dirty.lines().limit(5).toList();
            throw new NotRecordableException("cannot record: the checkout has uncommitted changes, so commit " + commit.substring(0, 7)
                    + " is not the code that would run (" + String.join("; ", lines) + (dirty.lines().count() > 5 ? "; ..." : "")
                    + "); commit or stash them first");
        }
        return commit;
    }

    /** Writes the record of a finished run; returns its file. */
    public static Path record(Path repo, String bench, List<Map<String, Object>> figures, RunContext run) throws IOException {
        String commit = requireRecordable(repo);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("bench", bench);
        r.put("commit", commit);
        r.put("commit_subject", firstLine(git(repo, "show", "-s", "--format=%s", commit)));
        r.put("commit_date", git(repo, "show", "-s", "--format=%cI", commit).strip());
        r.put("recorded_at", run.ended().toString());
        r.put("command", "./bench/run " + bench);
        r.put("seconds", Math.round((run.ended().toEpochMilli() - run.started().toEpochMilli()) / 1000.0));
        r.put("machine", MachineInfo.describe());
        r.put("load_average_1m", Map.of("before", run.loadBefore(), "after", run.loadAfter()));
        r.put("figures", figures);
        Path folder = repo.resolve(FOLDER);
        Files.createDirectories(folder);
        Path file = folder.resolve(bench + "-" + STAMP.format(run.ended()) + "-" + commit.substring(0, 7) + ".json");
        DurableFiles.write(file, (JSON.writeValueAsString(r) + "\n").getBytes(StandardCharsets.UTF_8), false, null);
        return file;
    }

    /** The latest record of a benchmark (file names sort by time), if any. */
    public static Optional<Path> latest(Path repo, String bench) throws IOException {
        Path folder = repo.resolve(FOLDER);
        if (!Files.isDirectory(folder)) return Optional.empty();
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().matches(java.util.regex.Pattern.quote(bench) + "-\\d{8}T\\d{6}Z-[0-9a-f]{7}\\.json"))
                    .max(java.util.Comparator.comparing(f -> f.getFileName().toString()));
        }
    }

    public static JsonNode read(Path record) throws IOException {
        return JSON.readTree(record.toFile());
    }

    private static String firstLine(String s) {
        String line = s.lines().findFirst().orElse("").strip();
        return line.length() > 120 ? line.substring(0, 117) + "..." : line;
    }

    static String git(Path repo, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NotRecordableException("cannot record: git " + String.join(" ", args) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new NotRecordableException("cannot record: " + repo + " is not a git checkout the benchmark can name a commit of (git "
                        + String.join(" ", args) + ": " + out.strip() + ")");
            }
            return out;
        } catch (IOException e) {
            throw new NotRecordableException("cannot record: git is not available (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotRecordableException("cannot record: interrupted");
        }
    }
}
