package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.gguf.TensorInfo;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A training process killed with SIGKILL after a checkpoint and resumed by a new process ends where a whole run ends. */
class KillResumeTest {
    @TempDir
    Path dir;

    private Process start(String mode, Path base, Path ckpt, Path adapter) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ResumeMain.class.getName(), mode, base.toString(),
                ckpt.toString(), adapter.toString()).redirectErrorStream(true).start();
    }

    private static String finish(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    }

    @Test
    void killedAndResumedRunEqualsUninterruptedRun() throws Exception {
        Path base = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), RandomLlamaModel.Variant.qwen2(),
                dir.resolve("base.gguf"));
        String full = finish(start("full", base, dir.resolve("full.ckpt"), dir.resolve("full.gguf")));

        Path ckpt = dir.resolve("run.ckpt");
        Process crash = start("crash", base, ckpt, dir.resolve("never.gguf"));
        try (BufferedReader r = new BufferedReader(new InputStreamReader(crash.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null && !line.startsWith("AT ")) {
                // skip engine log lines
            }
            assertThat(line).isEqualTo("AT " + ResumeMain.CRASH_AFTER);
            crash.destroyForcibly(); // SIGKILL
            crash.waitFor();
        }
        assertThat(crash.exitValue()).isEqualTo(137);
        assertThat(Files.exists(dir.resolve("never.gguf"))).isFalse();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }

        String resumed = finish(start("resume", base, ckpt, dir.resolve("resumed.gguf")));
        assertThat(resumed).isEqualTo(full);
        try (GgufFile a = GgufReader.read(dir.resolve("full.gguf"));
                GgufFile b = GgufReader.read(dir.resolve("resumed.gguf"))) {
            assertThat(b.tensors()).hasSameSizeAs(a.tensors());
            for (TensorInfo t : a.tensors()) {
                float[] x = dev.lifelong.gguf.Dequantizer.dequantize(a, t);
                float[] y = dev.lifelong.gguf.Dequantizer.dequantize(b, b.tensor(t.name()).orElseThrow());
                assertThat(y).as(t.name()).containsExactly(x);
            }
        }
    }
}
