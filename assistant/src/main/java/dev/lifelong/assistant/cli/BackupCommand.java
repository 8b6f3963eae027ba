package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.backup.BackupService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./lifelong backup --out FOLDER}: a consistent copy of the data folder, safe while the server runs. */
@Command(name = "backup", mixinStandardHelpOptions = true,
        description = "Back up the database (SQLite online backup, safe while serving) and the adapter files into a new folder.")
public final class BackupCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--out", required = true, paramLabel = "FOLDER", description = "New folder for the backup.") Path out;

    @Override
    public Integer call() {
        Path dataDir = common.dataDir();
        long started = System.nanoTime();
        BackupService.Summary s;
        try {
            s = BackupService.backup(dataDir, out, ImportCommand.bar("backing up"));
        } catch (IllegalArgumentException e) {
            throw new UserFacingException(e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw new UserFacingException(e.getMessage());
        }
        System.out.println();
        System.out.printf("backed up %s to %s: database + %d adapter file(s), %.1f MB, %.1f s%n", dataDir, s.folder(), s.adapterFiles(),
                s.bytes() / 1e6, (System.nanoTime() - started) / 1e9);
        System.out.println("restore with: ./lifelong restore " + s.folder() + " --data " + dataDir + " (server stopped)");
        return 0;
    }
}
