package dev.lifelong.assistant.config;

import java.nio.file.Path;
import java.util.Map;

/** Where a user's data lives: {@code --data DIR}, else {@code LIFELONG_HOME}, else {@code ~/.lifelong}. */
public final class DataDir {
    public static final String ENV = "LIFELONG_HOME";

    private DataDir() {}

    public static Path resolve(Path flag, Map<String, String> env) {
        if (flag != null) return flag.toAbsolutePath().normalize();
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv).toAbsolutePath().normalize();
        return Path.of(System.getProperty("user.home"), ".lifelong").toAbsolutePath().normalize();
    }
}
