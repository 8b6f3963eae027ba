package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.TestModels;
import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code lifelong train} as a real process: bad data, dry run, and kill -9 mid-run followed by a resume. */
@Timeout(600)
class TrainCommandTest {
    @TempDir Path dir;

    static final String EXAMPLES = """
            {"messages":[{"role":"user","content":"What is my cat called?"},{"role":"assistant","content":"Your cat is called Miso."}]}
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Where do I live?"},{"role":"assistant","content":"You live in Berlin."}],"weight":2}
            {"messages":[{"role":"user","content":"Wie heißt mein Hund? 🐶"},{"role":"assistant","content":"Dein Hund heißt Bruno."}]}
            """;

    ProcessBuilder train(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName(),
                "train", "--user", "alice", "--model", TestModels.tiny().toString(), "--threads", "1"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    static String run(ProcessBuilder pb, int expectedExit) throws Exception {
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isEqualTo(expectedExit);
        return out;
    }

    @Test
    void badLinesAreAllReportedBeforeTrainingAndNothingIsWritten() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), """
                {"messages":[{"role":"user","content":"hi"}]}
                not json
                {"messages":[{"role":"assistant","content":"ok"}],"weight":-1}
                """);
        String out = run(train("--examples", bad.toString(), "--out", dir.resolve("a.gguf").toString()), 2);
        assertThat(out).contains("line 1").contains("line 2").contains("line 3").doesNotContain("\tat ");
        assertThat(dir.resolve("a.gguf")).doesNotExist();
    }

    @Test
    void dryRunReportsTokensParametersAndAnEstimate() throws Exception {
        Path ex = Files.writeString(dir.resolve("ex.jsonl"), EXAMPLES);
        String out = run(train("--examples", ex.toString(), "--out", dir.resolve("a.gguf").toString(), "--dry-run", "--rank", "4"), 0);
        assertThat(out).contains("examples      3").contains("trainable     8,192 parameters").contains("estimate");
        assertThat(dir.resolve("a.gguf")).doesNotExist();
    }

    @Test
    void aRunKilledMidwayResumesToTheSameAdapterAsAnUninterruptedRun() throws Exception {
        Path ex = Files.writeString(dir.resolve("ex.jsonl"), EXAMPLES);
        String[] common = {"--examples", ex.toString(), "--epochs", "20", "--lr", "2e-3", "--warmup", "3", "--checkpoint-every", "5", "--seed", "3"};

        Path reference = dir.resolve("reference.gguf");
        run(train(concat(common, "--out", reference.toString())), 0);
        assertThat(dir.resolve("reference.json")).exists();

        Path resumed = dir.resolve("resumed.gguf");
        Path checkpoint = dir.resolve("resumed.gguf.ckpt");
        Process p = train(concat(common, "--out", resumed.toString())).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            // progress lines come every 5%; kill once a checkpoint exists and we are past it
            if (Files.exists(checkpoint) && line.contains("step ") && !line.contains("step 5/")) break;
        }
        assertThat(line).as("the run ended before it could be killed").isNotNull();
        // the whole tree, as a crash or power cut would: the CLI and its training process
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(resumed).doesNotExist();
        assertThat(checkpoint).exists();

        String out = run(train(concat(common, "--out", resumed.toString())), 0);
        assertThat(out).contains("resuming from checkpoint");
        assertThat(checkpoint).doesNotExist();
        assertSameAdapter(reference, resumed);
    }

    static void assertSameAdapter(Path a, Path b) {
        try (GgufFile fa = GgufReader.read(a); GgufFile fb = GgufReader.read(b)) {
            assertThat(fa.getString("general.type")).isEqualTo("adapter");
            assertThat(fa.tensors()).hasSameSizeAs(fb.tensors()).isNotEmpty();
            for (TensorInfo t : fa.tensors()) {
                float[] x = Dequantizer.dequantize(fa, t);
                float[] y = Dequantizer.dequantize(fb, fb.tensor(t.name()).orElseThrow());
                // Bit for bit: the drift this test used to allow (up to 0.02) was the backward pass reading memory
                // a garbage collection had freed (see OwnedArrays); a resumed run must give the same adapter.
                double maxDiff = 0;
                for (int i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                if (maxDiff > 0) System.out.println("adapter drift " + t.name() + " " + maxDiff);
                assertThat(maxDiff).as(t.name() + ": largest difference").isZero();
            }
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
