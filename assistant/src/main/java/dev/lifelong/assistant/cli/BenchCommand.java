package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.bench.ServingBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./bench/run NAME [--quick] [--out DIR]}: prints one JSON line per figure and writes them to DIR/NAME.json. */
@Command(name = "bench", hidden = true, mixinStandardHelpOptions = true, description = "Run a benchmark (serving, training, retrieval, learning).")
public final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "NAME", description = "Benchmark: serving, training, retrieval, learning or load.") String name;
    @Option(names = "--quick", description = "A smaller, faster run.") boolean quick;
    @Option(names = "--out", paramLabel = "DIR", description = "Where results go (default bench-out).") Path out = Path.of("bench-out");

    @Override
    public Integer call() throws Exception {
        List<Map<String, Object>> figures = switch (name) {
            case "serving" -> ServingBenchmark.run(out.toAbsolutePath(), quick);
            case "training" -> dev.lifelong.assistant.bench.TrainingBenchmark.run(out.toAbsolutePath(), quick);
            case "retrieval" -> dev.lifelong.assistant.bench.RetrievalBenchmark.run(out.toAbsolutePath(), quick);
            case "learning" -> dev.lifelong.assistant.bench.LearningBenchmark.run(out.toAbsolutePath(), quick);
            case "load" -> dev.lifelong.assistant.bench.LoadBenchmark.run(out.toAbsolutePath(), quick);
            default -> throw new UserFacingException("unknown benchmark '" + name + "'; available: serving, training, retrieval, learning, load");
        };
        ObjectMapper json = new ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (Map<String, Object> f : figures) lines.append(json.writeValueAsString(f)).append('\n');
        System.out.print(lines);
        Files.writeString(out.resolve(name + ".json"), lines, StandardCharsets.UTF_8);
        return 0;
    }
}
