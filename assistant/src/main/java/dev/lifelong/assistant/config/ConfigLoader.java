package dev.lifelong.assistant.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads {@code DATA_DIR/config.properties} and merges command-line overrides on top. Unknown keys and bad values are
 * errors that name the file and the key, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
    private static final Set<String> KEYS = AssistantConfig.SETTINGS.stream().map(AssistantConfig.Setting::key)
            .collect(Collectors.toUnmodifiableSet());

    private ConfigLoader() {}

    /** @param overrides values from flags, keyed like the file ({@code port}, {@code context-size}, ...); nulls ignored. */
    public static AssistantConfig load(Path dataDir, Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>(readFile(dataDir.resolve(AssistantConfig.FILE_NAME)));
        overrides.forEach((k, v) -> { if (v != null) values.put(k, v); });
        String source = "(" + dataDir.resolve(AssistantConfig.FILE_NAME) + " or flag)";
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        String model = values.get("model");
        return new AssistantConfig(
                dataDir,
                values.getOrDefault("host", "127.0.0.1").trim(),
                intValue(values, "port", 8377, source),
                model == null || model.isBlank() ? null : Path.of(model.trim()).toAbsolutePath().normalize(),
                intValue(values, "threads", cores, source),
                intValue(values, "gpu-layers", 0, source),
                intValue(values, "context-size", 2048, source),
                intValue(values, "parallel", 2, source),
                intValue(values, "max-tokens", 512, source),
                floatValue(values, "temperature", 0.7f, source),
                values.getOrDefault("system-prompt", AssistantConfig.DEFAULT_SYSTEM_PROMPT),
                values.getOrDefault("update-window", AssistantConfig.DEFAULT_UPDATE_WINDOW).trim(),
                booleanValue(values, "allow-remote", false, source),
                values.get("tls-keystore") == null || values.get("tls-keystore").isBlank() ? null
                        : Path.of(values.get("tls-keystore").trim()).toAbsolutePath().normalize(),
                values.get("tls-keystore-password"));
    }

    static Map<String, String> readFile(Path file) {
        if (!Files.exists(file)) return Map.of();
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (!KEYS.contains(key)) {
                throw new ConfigException("unknown setting '" + key + "' in " + file + "; known settings: "
                        + String.join(", ", KEYS.stream().sorted().toList()));
            }
            out.put(key, p.getProperty(key));
        }
        return out;
    }

    /** Writes a commented config file listing every setting with its default, if none exists yet. */
    public static void writeTemplateIfMissing(Path dataDir) throws IOException {
        Path file = dataDir.resolve(AssistantConfig.FILE_NAME);
        if (Files.exists(file)) return;
        StringBuilder sb = new StringBuilder("# Lifelong settings. Uncomment a line to change it; command-line flags win over this file.\n");
        for (AssistantConfig.Setting s : AssistantConfig.SETTINGS) {
            sb.append("\n# ").append(s.description()).append(" Flag: ").append(s.flag()).append('\n');
            String example = switch (s.key()) {
                case "model" -> "/path/to/model.gguf";
                case "threads" -> String.valueOf(Math.max(1, Runtime.getRuntime().availableProcessors()));
                default -> s.defaultValue();
            };
            sb.append("#").append(s.key()).append('=').append(example).append('\n');
        }
        Files.createDirectories(dataDir);
        Path tmp = Files.createTempFile(dataDir, "config", ".tmp");
        Files.writeString(tmp, sb.toString(), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            if (!Files.exists(file)) throw e;
        }
    }

    private static boolean booleanValue(Map<String, String> values, String key, boolean dflt, String source) {
        String v = values.get(key);
        if (v == null || v.isBlank()) return dflt;
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key + " must be true or false, not '" + v.trim() + "' " + source);
        };
    }

    private static int intValue(Map<String, String> values, String key, int dflt, String source) {
        String v = values.get(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("setting '" + key + "' must be a whole number, not '" + v.trim() + "' " + source);
        }
    }

    private static float floatValue(Map<String, String> values, String key, float dflt, String source) {
        String v = values.get(key);
        if (v == null || v.isBlank()) return dflt;
        try {
            return Float.parseFloat(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("setting '" + key + "' must be a number, not '" + v.trim() + "' " + source);
        }
    }
}
