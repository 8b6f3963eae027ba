package dev.lifelong.assistant.app;

import dev.lifelong.installer.models.ModelStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Which model {@code serve} loads: the configured one (flag or config file), else the one {@code models pull} made the
 * default, else the seedling shipped in the repository.
 */
public final class ModelResolver {
    /** The seedling's place in a checkout or install, relative to the Lifelong home (the repository root). */
    public static final Path SEEDLING = Path.of("models", "seedling", "seedling.gguf");

    /** The model to load and where the choice came from ("--model", "pulled default", "seedling"). */
    public record Choice(Path path, String source) {}

    private ModelResolver() {}

    public static Optional<Choice> resolve(Path configured, ModelStore store, Path seedling) {
        if (configured != null) return Optional.of(new Choice(configured, "configured model"));
        Optional<Path> pulled = store.defaultModel();
        if (pulled.isPresent()) return Optional.of(new Choice(pulled.get(), "default model (models pull)"));
        if (seedling != null && Files.isRegularFile(seedling)) return Optional.of(new Choice(seedling, "seedling (built-in demo model)"));
        return Optional.empty();
    }

    /** The Lifelong home: {@code -Dlifelong.home} set by the launcher, else the working directory. */
    public static Path home() {
        String home = System.getProperty("lifelong.home");
        return (home == null || home.isBlank() ? Path.of("") : Path.of(home)).toAbsolutePath().normalize();
    }
}
