package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.portable.PersonalModelBundle;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.UserArchive;
import dev.lifelong.memory.retrieval.MemoryService;
import dev.lifelong.memory.retrieval.OnnxEmbedder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * {@code ./lifelong import FILE}: creates the bundle's user here, after checking it, or fills this installation's owner
 * when the names match and the owner has nothing yet; non-zero with the reason (and what to type instead) when it refuses.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import a personal model exported by 'export': creates the user with their history, memory and adapter.")
public final class ImportCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Parameters(paramLabel = "FILE", description = "A zip written by ./lifelong export.") Path bundle;
    @Option(names = "--as", paramLabel = "NAME", description = "Import under another user name.") String as;
    @Option(names = "--model", paramLabel = "FILE", description = "The base model here (default: the one serve uses).") Path model;

    @Override
    public Integer call() {
        Path dataDir = common.dataDir();
        try (Database db = Database.open(dataDir.resolve("lifelong.db"))) {
            Path base = model != null ? model : UpdateCommand.defaultModelOrNull(dataDir);
            PersonalModelBundle.ImportSummary s;
            try {
                s = PersonalModelBundle.importBundle(db, dataDir, bundle, base, as);
            } catch (UserArchive.NameTakenException e) {
                // say exactly what to type instead
                throw new UserFacingException("not imported: " + e.getMessage() + "; to import as another user, add --as NEWNAME"
                        + " (./lifelong import " + bundle + " --as " + e.name() + "-2 --data " + dataDir + ")");
            } catch (IllegalArgumentException | java.io.UncheckedIOException | dev.lifelong.memory.StorageException e) {
                throw new UserFacingException("not imported: " + e.getMessage());
            }
            // vectors belong to this installation's embedding models: computed here, now
            int embedded = new MemoryService(db.memories(), OnnxEmbedder.defaults(), Clock.systemUTC()).embedBacklog();
            String what = String.format("%s, %s; %d memory vectors computed", s.counts(),
                    s.adapterVersion() == null ? "no adapter" : "adapter v" + s.adapterVersion() + " serving", embedded);
            if (s.intoOwner()) {
                // the owner signs in as before: no new key, the password and existing keys stay
                System.out.printf("imported into this installation's owner %s (who had nothing yet): %s%n", s.user(), what);
                System.out.println("the owner's password and API keys are unchanged (serve keeps the owner's key in "
                        + dataDir.resolve(dev.lifelong.assistant.auth.AccountService.OWNER_KEY_FILE) + ")");
                return 0;
            }
            var key = db.accounts().createApiKey(s.userId(), "imported", true);
            System.out.printf("imported %s: %s%n", s.user(), what);
            System.out.println("their API key (they can sign in with it and set a password):");
            System.out.println(key.secret());
            return 0;
        }
    }

    static BiConsumer<Integer, Integer> bar(String what) {
        return (done, total) -> {
            int width = 30;
            int filled = total == 0 ? width : done * width / total;
            System.out.print("\r" + what + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total);
            System.out.flush();
        };
    }
}
