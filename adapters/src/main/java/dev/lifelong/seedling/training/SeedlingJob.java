package dev.lifelong.seedling.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.gguf.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Everything {@link SeedlingTrainMain} needs, as JSON.
 *
 * @param sequences training data ({@link dev.lifelong.lora.SequenceFiles})
 * @param vocabularyFrom a GGUF file whose {@code tokenizer.*} keys are copied into the model
 * @param output the GGUF model to write
 * @param checkpoint checkpoint file; if it exists the run resumes from it
 * @param weightType F32, F16 or Q8_0
 */
public record SeedlingJob(SeedlingModelConfig model, SeedlingTrainingConfig training, Path sequences,
        Path vocabularyFrom, Path output, Path checkpoint, GgmlType weightType, String name) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public void write(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        Path tmp = Files.createTempFile(abs.getParent(), ".job", ".tmp");
        try {
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    public static SeedlingJob read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), SeedlingJob.class);
    }
}
