package dev.lifelong.seedling.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.lifelong.gguf.Dequantizer;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.llama.LlamaNative;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared pieces of the seedling training tests. */
final class Seedlings {
    static final RandomLlamaModel.Spec VOCAB_SPEC = RandomLlamaModel.Spec.tiny();

    private Seedlings() {
    }

    /** 2 layers, width 64, 4 heads (2 kv), SwiGLU 128, the tiny random model's 356-token SPM byte vocabulary. */
    static SeedlingModelConfig tiny(boolean tied) {
        return new SeedlingModelConfig(VOCAB_SPEC.vocabSize(), 2, 64, 4, 2, 128, 512, 10000f, 1e-5f, tied);
    }

    /** A GGUF holding the SPM byte vocabulary whose tokenizer keys the exports copy. */
    static Path vocabularyFile(Path dir) {
        return RandomLlamaModel.write(VOCAB_SPEC, dir.resolve("vocab-source.gguf"));
    }

    static LlamaModel llama(Path model) {
        LlamaNative.prepare();
        return new LlamaModel(new ModelParameters().setModel(model.toString()).setCtxSize(512).setThreads(2)
                .setGpuLayers(0));
    }

    /** llama.cpp's greedy continuation as one string (no prompt cache; not setNProbs, which aborts 4.2.0). */
    static String llamaGreedy(LlamaModel model, String prompt, int n) {
        return llamaGreedy(model, prompt, n, Map.of());
    }

    static String llamaGreedy(LlamaModel model, String prompt, int n, Map<Integer, Float> bias) {
        StringBuilder out = new StringBuilder();
        InferenceParameters p = new InferenceParameters(prompt).setNPredict(n).setTemperature(0).setSeed(1)
                .setCachePrompt(false);
        if (!bias.isEmpty()) {
            p.setTokenIdBias(bias);
        }
        for (LlamaOutput o : model.generate(p)) {
            out.append(o.text);
        }
        return out.toString();
    }

    /** Reads an exported model back (dequantized) as a FullModel of {@code c}. */
    static FullModel read(Path gguf, SeedlingModelConfig c) {
        FullModel m = FullModel.load(gguf);
        assertThat(m.config()).isEqualTo(c);
        return m;
    }

    /** Runs {@code main} in a child JVM (which never loads llama.cpp) and returns its output; asserts exit 0. */
    static String child(Class<?> main, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** Runs a training job in a child process; returns its RESULT. */
    static JsonNode train(SeedlingJob job, Path jobFile) throws Exception {
        job.write(jobFile);
        Process p = SeedlingTrainMain.processBuilder(jobFile, "1g").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() ->
                new AssertionError("no RESULT in:\n" + out));
        ObjectNodeHolder.last = out;
        return new ObjectMapper().readTree(line.substring("RESULT ".length()));
    }

    /** The whole output of the last training child, for assertions on its PROGRESS/RESUMING lines. */
    static final class ObjectNodeHolder {
        static String last;
    }
}
