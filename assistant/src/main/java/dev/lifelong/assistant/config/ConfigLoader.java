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

    /** Where the TLS keystore password may come from instead of the command line (which every user sees in ps). */
    public static final String KEYSTORE_PASSWORD_ENV = "LIFELONG_TLS_KEYSTORE_PASSWORD";

    /** @param overrides values from flags, keyed like the file ({@code port}, {@code context-size}, ...); nulls ignored. */
    public static AssistantConfig load(Path dataDir, Map<String, String> overrides) {
        return load(dataDir, overrides, System.getenv());
    }

    /** As {@link #load(Path, Map)} with the environment given ({@value #KEYSTORE_PASSWORD_ENV}). */
    public static AssistantConfig load(Path dataDir, Map<String, String> overrides, Map<String, String> environment) {
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
                !remoteHosts(values, source).isEmpty() || booleanValue(values, "allow-remote", false, source),
                values.get("tls-keystore") == null || values.get("tls-keystore").isBlank() ? null
                        : Path.of(values.get("tls-keystore").trim()).toAbsolutePath().normalize(),
                keystorePassword(values, environment, source),
                remoteHosts(values, source));
    }

    /** allow-remote is true/false, or the host names other machines use for this one (which also means true). */
    private static java.util.List<String> remoteHosts(Map<String, String> values, String source) {
        String v = values.get("allow-remote");
        if (v == null || v.isBlank()) return java.util.List.of();
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        if (Set.of("true", "yes", "on", "false", "no", "off").contains(t)) return java.util.List.of();
        java.util.List<String> names = new java.util.ArrayList<>();
        for (String n : t.split(",")) {
            String name = n.strip();
            if (name.isEmpty()) continue;
            if (!name.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
                throw new ConfigException("allow-remote must be true, false or host names separated by commas; '" + name
                        + "' is not a host name " + source);
            }
            names.add(name);
        }
        return names;
    }

    /** The password given directly, else the first line of tls-keystore-password-file, else the environment variable. */
    private static String keystorePassword(Map<String, String> values, Map<String, String> environment, String source) {
        String direct = values.get("tls-keystore-password");
        if (direct != null && !direct.isEmpty()) return direct;
        String file = values.get("tls-keystore-password-file");
        if (file != null && !file.isBlank()) {
            Path p = Path.of(file.trim());
            try {
                String content = Files.readString(p, StandardCharsets.UTF_8);
                return content.lines().findFirst().orElse("");
            } catch (IOException e) {
                throw new ConfigException("cannot read tls-keystore-password-file " + p + " " + source + ": " + e.getMessage());
            }
        }
        String env = environment.get(KEYSTORE_PASSWORD_ENV);
        return env == null || env.isEmpty() ? null : env;
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
