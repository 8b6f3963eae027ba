package dev.lifelong.seedling.tokenizer;

import dev.lifelong.gguf.GgmlType;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.gguf.RandomLlamaModel;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A tiny random-weight llama GGUF that carries a seedling vocabulary and the ChatML template, so llama.cpp can load it
 * and tokenize with it (training data must be tokenized as serving will) and the trainer can copy its
 * {@code tokenizer.*} keys into the real model. Its weights mean nothing.
 */
public final class VocabularyCarrier {
    private VocabularyCarrier() {
    }

    public static Path write(SeedlingVocab vocab, Path file) throws IOException {
        // Same special and byte token layout as the random model (decision 013), so its writer fits the vocabulary.
        RandomLlamaModel.Spec spec = new RandomLlamaModel.Spec("seedling-vocabulary",
                vocab.size() - RandomLlamaModel.BASE_VOCAB, 1, 64, 4, 2, 128, 512, 7, GgmlType.F32);
        GgufWriter writer = RandomLlamaModel.writer(spec);
        vocab.writeTo(writer);
        return writer.write(file);
    }
}
