package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.bench.BenchmarkHistory;
import dev.lifelong.assistant.bench.BenchmarkReadme;
import dev.lifelong.assistant.bench.LearningBenchmark;
import dev.lifelong.assistant.bench.LoadBenchmark;
import dev.lifelong.assistant.bench.MachineInfo;
import dev.lifelong.assistant.bench.RetrievalBenchmark;
import dev.lifelong.assistant.bench.ServingBenchmark;
import dev.lifelong.assistant.bench.TrainingBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./bench/run NAME [--quick] [--out DIR] [--record]}: prints one JSON line per figure and writes them to
 * DIR/NAME.json; {@code --record} also adds the run to docs/benchmarks/history and regenerates the README's tables;
 * {@code ./bench/run readme} only regenerates them.
 */
@Command(name = "bench", hidden = true, mixinStandardHelpOptions = true,
        description = "Run a benchmark (models, nightly, serving, training, retrieval, learning, load), or regenerate the README's tables (readme).")
public final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "Benchmark: models, nightly, serving, training, retrieval, learning or load; or readme.") String name;
    @Option(names = "--quick", description = "A smaller, faster run that checks the benchmark works (what CI runs).") boolean quick;
    @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default bench-out).") Path out = Path.of("bench-out");
    @Option(names = "--record", description = "Add this run to docs/benchmarks/history (code must be committed) and regenerate the README's tables.")
    boolean record;

    @Override
    public Integer call() throws Exception {
        Path repo = ModelResolver.home();
        if (name.equals("readme")) {
            if (quick || record) throw new UserFacingException("readme takes no --quick or --record: it regenerates the README's tables from the history");
            List<String> changed = BenchmarkReadme.update(repo);
            System.err.println(changed.isEmpty() ? "README.md is up to date with " + BenchmarkHistory.FOLDER
                    : "README.md: regenerated " + String.join(", ", changed) + " from " + BenchmarkHistory.FOLDER);
            return 0;
        }
        if (!BenchmarkReadme.BENCHMARKS.contains(name)) {
            throw new UserFacingException("unknown benchmark '" + name + "'; available: " + String.join(", ", BenchmarkReadme.BENCHMARKS) + ", or readme");
        }
        if (record && quick) {
            throw new UserFacingException("--record keeps full runs only: a --quick run checks that the benchmark works, its figures are not comparable");
        }
        if (record) {
            try {
                BenchmarkHistory.requireRecordable(repo); // refuse before a long run, not after it
            } catch (BenchmarkHistory.NotRecordableException e) {
                throw new UserFacingException(e.getMessage());
            }
        }
        Instant started = Instant.now();
        double loadBefore = MachineInfo.loadAverage();
        List<Map<String, Object>> figures = run(name, out.toAbsolutePath(), quick);
        double loadAfter = MachineInfo.loadAverage();
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (Map<String, Object> f : figures) lines.append(json.writeValueAsString(f)).append('\n');
        System.out.print(lines);
        Files.createDirectories(out);
        Files.writeString(out.resolve(name + ".json"), lines, StandardCharsets.UTF_8);
        if (record) {
            Path file;
            try {
                file = BenchmarkHistory.record(repo, name, figures, new BenchmarkHistory.RunContext(started, Instant.now(), loadBefore, loadAfter));
            } catch (BenchmarkHistory.NotRecordableException e) {
                throw new UserFacingException(e.getMessage() + " (the figures are in " + out.resolve(name + ".json") + ")");
            }
            BenchmarkReadme.update(repo);
            System.err.println("recorded " + repo.relativize(file) + " and regenerated README.md; commit both");
        }
        return 0;
    }

    /** Runs one benchmark; the figures it returns are also what CI's quick-mode tests check. */
    public static List<Map<String, Object>> run(String name, Path out, boolean quick) throws Exception {
        return switch (name) {
            case "models" -> dev.lifelong.assistant.bench.ModelsBenchmark.run(out, quick);
            case "nightly" -> dev.lifelong.assistant.bench.NightlyBenchmark.run(out, quick);
            case "serving" -> ServingBenchmark.run(out, quick);
            case "training" -> TrainingBenchmark.run(out, quick);
            case "retrieval" -> RetrievalBenchmark.run(out, quick);
            case "learning" -> LearningBenchmark.run(out, quick);
            case "load" -> LoadBenchmark.run(out, quick);
            default -> throw new UserFacingException("unknown benchmark '" + name + "'");
        };
    }
}
