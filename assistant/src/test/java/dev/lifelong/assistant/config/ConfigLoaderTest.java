package dev.lifelong.assistant.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir Path dir;

    @Test
    void defaultsFileValuesAndFlagsInThatOrder() throws Exception {
        AssistantConfig defaults = ConfigLoader.load(dir, Map.of());
        assertThat(defaults.port()).isEqualTo(8377);
        assertThat(defaults.host()).isEqualTo("127.0.0.1");
        assertThat(defaults.model()).isNull();
        assertThat(defaults.contextSize()).isEqualTo(2048);

        Files.writeString(dir.resolve("config.properties"), "port=9100\ncontext-size=4096\nsystem-prompt=Sei kurz. 🌱\n");
        AssistantConfig fromFile = ConfigLoader.load(dir, Map.of());
        assertThat(fromFile.port()).isEqualTo(9100);
        assertThat(fromFile.contextSize()).isEqualTo(4096);
        assertThat(fromFile.systemPrompt()).isEqualTo("Sei kurz. 🌱");

        Map<String, String> flags = new HashMap<>();
        flags.put("port", "9200");
        flags.put("threads", null);
        AssistantConfig withFlags = ConfigLoader.load(dir, flags);
        assertThat(withFlags.port()).isEqualTo(9200);
        assertThat(withFlags.contextSize()).isEqualTo(4096);
    }

    @Test
    void theTemplateDocumentsEverySettingAndChangesNothing() throws Exception {
        ConfigLoader.writeTemplateIfMissing(dir);
        String text = Files.readString(dir.resolve("config.properties"));
        for (AssistantConfig.Setting s : AssistantConfig.SETTINGS) assertThat(text).contains("#" + s.key() + "=");
        assertThat(ConfigLoader.load(dir, Map.of())).isEqualTo(ConfigLoader.load(dir.resolve("empty"), Map.of()).withDataDir(dir));
        // an existing file is never overwritten
        Files.writeString(dir.resolve("config.properties"), "port=1234\n");
        ConfigLoader.writeTemplateIfMissing(dir);
        assertThat(Files.readString(dir.resolve("config.properties"))).isEqualTo("port=1234\n");
    }

    @Test
    void typosAndBadValuesAreErrorsThatNameTheSetting() throws Exception {
        Files.writeString(dir.resolve("config.properties"), "prot=9000\n");
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting 'prot'").hasMessageContaining("port");
        Files.writeString(dir.resolve("config.properties"), "port=eighty\n");
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of())).hasMessageContaining("'port' must be a whole number");
        Files.writeString(dir.resolve("config.properties"), "parallel=0\n");
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of())).hasMessageContaining("parallel");
        assertThatThrownBy(() -> ConfigLoader.load(dir, Map.of("temperature", "9"))).hasMessageContaining("temperature");
    }

    @Test
    void dataDirComesFromFlagThenEnvironmentThenHome() {
        assertThat(DataDir.resolve(Path.of("/tmp/x"), Map.of(DataDir.ENV, "/tmp/y"))).isEqualTo(Path.of("/tmp/x"));
        assertThat(DataDir.resolve(null, Map.of(DataDir.ENV, "/tmp/y"))).isEqualTo(Path.of("/tmp/y"));
        assertThat(DataDir.resolve(null, Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".lifelong"));
    }
}
