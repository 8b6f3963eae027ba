package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DoctorCommandTest {
    @TempDir Path data;

    static DoctorCommand.Check find(List<DoctorCommand.Check> checks, String name) {
        return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void reportsTheModelItsMetadataAndTheCpuOnlyRuntime() {
        List<DoctorCommand.Check> checks = DoctorCommand.run(data, TestModels.tiny());
        assertThat(find(checks, "JDK").ok()).isTrue();
        assertThat(find(checks, "model").ok()).isTrue();
        assertThat(find(checks, "model info").detail()).contains("arch llama").contains("chat template yes");
        assertThat(find(checks, "native").ok()).isTrue();
        // the bundled Linux library is CPU-only, which is fine while gpu-layers is 0
        assertThat(find(checks, "GPU").ok()).isTrue();
        assertThat(find(checks, "GPU").detail()).contains("CPU-only");
    }

    @Test
    void aTruncatedModelAndAGpuRequestAreProblemsWithFixes() throws Exception {
        byte[] bytes = Files.readAllBytes(TestModels.tiny());
        Path truncated = Files.write(data.resolve("t.gguf"), Arrays.copyOf(bytes, bytes.length - 100));
        Files.writeString(data.resolve("config.properties"), "gpu-layers=99\n");
        List<DoctorCommand.Check> checks = DoctorCommand.run(data, truncated);
        DoctorCommand.Check model = find(checks, "model");
        assertThat(model.ok()).isFalse();
        assertThat(model.detail()).contains("truncated");
        DoctorCommand.Check gpu = find(checks, "GPU");
        assertThat(gpu.ok()).isFalse();
        assertThat(gpu.line()).contains("fix:").contains("gpu-layers=0");
    }
}
