package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.portable.PersonalModelBundle;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.Users;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code ./lifelong export --out FILE}: a user's personal model (adapter + memory + history) as one zip. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a user's personal model (adapter, memories, conversations, training data, figures) to one zip file.")
public final class ExportCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--user", paramLabel = "NAME", description = "Whose model (may be left out when there is one user).") String user;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The zip file to write.") Path out;
    @Option(names = "--model", paramLabel = "FILE", description = "The base model (default: the one serve uses).") Path model;
    @Option(names = "--merged", paramLabel = "FILE", description = "Also write a standalone GGUF with the adapter merged into the base weights.") Path merged;
    @Option(names = "--merged-type", paramLabel = "f16|q8_0", defaultValue = "q8_0", description = "Weights of the merged model (default ${DEFAULT-VALUE}).") String mergedType;

    @Override
    public Integer call() {
        Path dataDir = common.dataDir();
        try (Database db = Database.open(dataDir.resolve("lifelong.db"))) {
            Users.User u = UserOption.resolve(db, user);
            Path base = model != null ? model : UpdateCommand.defaultModel(dataDir);
            PersonalModelBundle.ExportSummary s;
            try {
                String systemPrompt = dev.lifelong.assistant.config.ConfigLoader.load(dataDir, java.util.Map.of()).systemPrompt();
                s = PersonalModelBundle.export(db, dataDir, u.id(), u.name(), base, out, systemPrompt, ImportCommand.bar("exporting"));
            } catch (java.io.UncheckedIOException | IllegalArgumentException e) {
                throw new UserFacingException(e.getMessage());
            }
            System.out.println();
            if (merged != null) {
                if (s.adapterVersion() == null) throw new UserFacingException(u.name() + " has no promoted adapter to merge yet");
                var type = switch (mergedType.toLowerCase(java.util.Locale.ROOT)) {
                    case "f16" -> dev.lifelong.gguf.GgmlType.F16;
                    case "q8_0" -> dev.lifelong.gguf.GgmlType.Q8_0;
                    default -> throw new UserFacingException("--merged-type is f16 or q8_0, not '" + mergedType + "'");
                };
                var serving = new dev.lifelong.memory.AdapterVersionStore(db).serving(u.id()).orElseThrow();
                try {
                    dev.lifelong.lora.LoraMerger.merge(base, dataDir.resolve(serving.file()), type, merged);
                } catch (java.io.IOException | RuntimeException e) {
                    throw new UserFacingException("cannot write the merged model: " + e.getMessage());
                }
                System.out.printf("merged model (%s) -> %s (llama-server -m %s --jinja)%n", type, merged.toAbsolutePath(), merged.getFileName());
            }
            System.out.printf("exported %s: %d conversations, %d messages, %d memories, %s; %.1f MB -> %s%n", s.user(), s.conversations(),
                    s.messages(), s.memories(), s.adapterVersion() == null ? "no adapter yet" : "adapter v" + s.adapterVersion(),
                    s.bytes() / 1e6, s.file());
            return 0;
        }
    }
}
