package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.config.DataDir;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every subcommand takes. */
public final class CommonOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "Data directory (default: $LIFELONG_HOME, else ~/.lifelong).")
    Path data;

    public Path dataDir() { return DataDir.resolve(data, System.getenv()); }
}
