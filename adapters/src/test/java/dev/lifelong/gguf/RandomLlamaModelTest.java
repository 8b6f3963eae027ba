package dev.lifelong.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The random model against the real llama.cpp of java-llama.cpp 4.2.0. */
class RandomLlamaModelTest {
    @TempDir
    static Path dir;
    static Path modelFile;
    static LlamaModel model;

    @BeforeAll
    static void load() {
        modelFile = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("tiny.gguf"));
        model = new LlamaModel(new ModelParameters().setModel(modelFile.toString()).setCtxSize(256).setThreads(2)
                .setGpuLayers(0));
    }

    @AfterAll
    static void unload() {
        if (model != null) {
            model.close();
        }
    }

    static List<String> generate(int n) {
        List<String> pieces = new ArrayList<>();
        for (LlamaOutput out : model.generate(new InferenceParameters("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
                .setNPredict(n).setTemperature(0).setSeed(1))) {
            if (!out.text.isEmpty()) { // the stream ends with an empty final message
                pieces.add(out.text);
            }
        }
        return pieces;
    }

    @Test
    void generatesTheSameVisibleTextTwice() {
        List<String> first = generate(8);
        List<String> second = generate(8);
        assertThat(first).hasSize(8);
        assertThat(second).isEqualTo(first);
        assertThat(String.join("", first)).isNotBlank();
    }

    @Test
    void encodeDecodeRoundTripsAnyText() {
        String text = "Hello, 世界 🌱";
        int[] tokens = model.encode(text);
        assertThat(model.decode(tokens)).isEqualTo(text);
    }

    @Test
    void imEndIsOneControlToken() {
        assertThat(model.encode("<|im_end|>")).containsExactly(RandomLlamaModel.IM_END_ID);
        assertThat(model.encode("<|im_start|>")).containsExactly(RandomLlamaModel.IM_START_ID);
    }

    @Test
    void chatTemplateIsChatMl() {
        String prompt = model.applyTemplate(new InferenceParameters("")
                .setMessages("You are kind.", List.of(new Pair<>("user", "Hi"))));
        assertThat(prompt).isEqualTo("<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\n");
    }

    @Test
    void sameSpecGivesTheSameBytes() throws Exception {
        Path again = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny(), dir.resolve("again.gguf"));
        assertThat(Files.mismatch(modelFile, again)).isEqualTo(-1);
        Path other = RandomLlamaModel.write(RandomLlamaModel.Spec.tiny().withSeed(7), dir.resolve("other.gguf"));
        assertThat(Files.mismatch(modelFile, other)).isNotEqualTo(-1);
    }
}
