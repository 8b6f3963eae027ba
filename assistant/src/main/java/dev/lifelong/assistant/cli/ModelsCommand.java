package dev.lifelong.assistant.cli;

import dev.lifelong.installer.models.CatalogEntry;
import dev.lifelong.installer.models.ConsoleProgressBar;
import dev.lifelong.installer.models.ModelCatalog;
import dev.lifelong.installer.models.ModelDownloader;
import dev.lifelong.installer.models.ModelStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Optional;

@Command(name = "models", mixinStandardHelpOptions = true, description = "List and download models.",
        subcommands = {ModelsCommand.ListModels.class, ModelsCommand.Pull.class})
public final class ModelsCommand implements Runnable {
    @Override
    public void run() { new ListModels().run(); }

    @Command(name = "list", description = "Show the curated models and the default.")
    static final class ListModels implements Runnable {
        @Mixin CommonOptions common = new CommonOptions();

        @Override
        public void run() {
            ModelStore store = new ModelStore(common.dataDir());
            Optional<Path> dflt = store.defaultModel();
            System.out.println("Default model: " + dflt.map(Path::toString).orElse("(none pulled; the seedling is used)"));
            System.out.println("Curated models (./lifelong models pull ID):");
            for (CatalogEntry e : ModelCatalog.builtIn().entries()) {
                boolean trains = e.architecture() != null && dev.lifelong.lora.Trainability.ARCHITECTURES.contains(e.architecture());
                System.out.printf("  %-32s %s, %d MB, %s, %s%n", e.id(), e.name(), Math.round(e.sizeBytes() / 1e6), e.license(),
                        trains ? "chats and trains" : "chat only (Lifelong cannot train '" + e.architecture() + "' models)");
            }
        }
    }

    @Command(name = "pull", description = "Download a curated model (with resume and checksum check) and make it the default.")
    static final class Pull implements Runnable {
        @Mixin CommonOptions common = new CommonOptions();
        @Parameters(paramLabel = "ID", description = "Model id from `models list`.") String id;

        @Override
        public void run() {
            ModelCatalog catalog = ModelCatalog.builtIn();
            CatalogEntry entry = catalog.find(id).orElseThrow(() -> new UserFacingException("unknown model '" + id
                    + "'; choose one of " + catalog.entries().stream().map(CatalogEntry::id).toList()));
            ModelStore store = new ModelStore(common.dataDir());
            Path file;
            try {
                file = store.pull(entry, new ModelDownloader(), new ConsoleProgressBar(System.out));
            } catch (java.io.IOException e) {
                throw new UserFacingException("could not download " + id + ": " + e.getMessage());
            }
            System.out.println("Downloaded and verified " + file);
            System.out.println("Training: " + dev.lifelong.loop.TrainingReport.of(file, dev.lifelong.loop.UpdateSettings.defaults())
                    .sentence(dev.lifelong.lora.MemoryPlan.availableMemory()));
            System.out.println("It is now the default model; start with ./lifelong serve");
        }
    }
}
