package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.app.DataDirLock;
import dev.lifelong.assistant.backup.BackupService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./lifelong restore FOLDER}: puts a backup back, after checking it; the server must be stopped. */
@Command(name = "restore", mixinStandardHelpOptions = true,
        description = "Restore a backup made by 'backup' into the data folder (stop the server first). The replaced database is kept.")
public final class RestoreCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Parameters(paramLabel = "FOLDER", description = "A folder written by ./lifelong backup.") Path backup;

    @Override
    public Integer call() {
        Path dataDir = common.dataDir();
        try (DataDirLock lock = DataDirLock.tryAcquire(dataDir).orElseThrow(() ->
                new UserFacingException("a Lifelong server is running on " + dataDir + "; stop it, then restore"))) {
            Path kept;
            try {
                kept = BackupService.restore(backup, dataDir);
            } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
                throw new UserFacingException("not restored: " + e.getMessage());
            }
            System.out.println("restored " + backup + " into " + dataDir);
            if (kept != null) System.out.println("the replaced database is kept as " + kept);
            return 0;
        }
    }
}
