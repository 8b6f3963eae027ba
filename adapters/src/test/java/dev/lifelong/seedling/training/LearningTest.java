package dev.lifelong.seedling.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import de.kherud.llama.LlamaModel;
import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.TrainingSequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny model trained from scratch (child JVM) on the alphabet and a few ChatML dialogues learns them: the loss falls
 * by more than half, and llama.cpp serving the exported F16 model greedily reproduces the memorised continuations;
 * a Q8_0 export of the same weights loads and answers too.
 */
class LearningTest {
    static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz";
    static final String[][] DIALOGUES = {
        {"What is the capital of France?", "Paris is the capital of France."},
        {"Hello, who are you?", "I am Lifelong, your assistant."},
        {"My sister is called Lea.", "Nice, I will remember that Lea is your sister."},
    };

    @TempDir
    Path dir;

    static String prompt(String user) {
        return "<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n";
    }

    @Test
    void learnsAndLlamaCppReproducesWhatItLearned() throws Exception {
        Path vocab = Seedlings.vocabularyFile(dir);
        List<TrainingSequence> data = new ArrayList<>();
        try (LlamaModel tokenizer = Seedlings.llama(vocab)) {
            data.add(TrainingSequence.allTokens(tokenizer.encode(ALPHABET)));
            for (String[] d : DIALOGUES) {
                int[] prefix = tokenizer.encode(prompt(d[0]));
                int[] all = tokenizer.encode(prompt(d[0]) + d[1] + "<|im_end|>");
                assertThat(Arrays.copyOf(all, prefix.length)).isEqualTo(prefix);
                float[] w = new float[all.length];
                Arrays.fill(w, prefix.length, all.length, 1f); // only the answer and its end-of-turn count
                data.add(new TrainingSequence(all, w));
            }
        }
        SequenceFiles.write(dir.resolve("data.seq"), data);
        SeedlingModelConfig c = Seedlings.tiny(true);
        SeedlingTrainingConfig training = SeedlingTrainingConfig.defaults(250).withLr(3e-3f).withWarmup(10)
                .withBatch(4, 1).withSeed(1).withThreads(1);
        SeedlingJob job = new SeedlingJob(c, training, dir.resolve("data.seq"), vocab, dir.resolve("seedling.gguf"),
                dir.resolve("seedling.ckpt"), GgmlType.F16, "seedling-test");
        JsonNode r = Seedlings.train(job, dir.resolve("job.json"));
        double first = r.get("firstLoss").asDouble();
        double last = r.get("finalLoss").asDouble();
        System.out.println("seedling learning test: loss " + first + " -> " + last + " in " + r.get("steps") + " steps, "
                + r.get("seconds") + " s");
        assertThat(last).as("final vs first loss").isLessThan(0.5 * first);

        try (GgufFile f = GgufReader.read(job.output())) {
            assertThat(f.getString("general.architecture")).isEqualTo("llama");
            assertThat(f.getLong("general.file_type")).isEqualTo(1);
            assertThat(f.tensor("output.weight")).isEmpty();
            assertThat(f.getLong("seedling.training.steps")).isEqualTo(250);
        }
        try (LlamaModel cpp = Seedlings.llama(job.output())) {
            assertThat(Seedlings.llamaGreedy(cpp, "abcdefgh", 10)).isEqualTo("ijklmnopqr");
            for (String[] d : DIALOGUES) {
                assertThat(Seedlings.llamaGreedy(cpp, prompt(d[0]), 60)).as("answer to %s", d[0]).isEqualTo(d[1]);
            }
        }

        Path q8 = GgufModelExport.write(dir.resolve("seedling-q8.gguf"), Seedlings.read(job.output(), c), GgmlType.Q8_0,
                "seedling-test", SeedlingTrainMain.tokenizerOf(vocab, c.vocabSize()));
        try (GgufFile f = GgufReader.read(q8)) {
            assertThat(f.getLong("general.file_type")).isEqualTo(7);
        }
        try (LlamaModel cpp = Seedlings.llama(q8)) {
            assertThat(Seedlings.llamaGreedy(cpp, prompt(DIALOGUES[0][0]), 60)).isEqualTo(DIALOGUES[0][1]);
            assertThat(Seedlings.llamaGreedy(cpp, "abcdefgh", 10)).isEqualTo("ijklmnopqr");
        }
    }
}
