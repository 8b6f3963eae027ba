package dev.lifelong.seedling.tokenizer;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.gguf.RandomLlamaModel;
import java.io.IOException;
import java.nio.file.Path;

/** A tiny random-weight llama GGUF carrying a seedling vocabulary, so llama.cpp loads it and tokenizes with it. */
final class SeedlingTestModel {
    private SeedlingTestModel() {
    }

    static Path write(SeedlingVocab vocab, Path file) throws IOException {
        // Same special and byte token layout as the random model, so its steering constant still fits.
        RandomLlamaModel.Spec spec = new RandomLlamaModel.Spec("seedling-tokenizer-test",
                vocab.size() - RandomLlamaModel.BASE_VOCAB, 2, 64, 4, 2, 128, 512, 7, GgmlType.F32);
        GgufWriter writer = RandomLlamaModel.writer(spec);
        vocab.writeTo(writer);
        return writer.write(file);
    }
}
