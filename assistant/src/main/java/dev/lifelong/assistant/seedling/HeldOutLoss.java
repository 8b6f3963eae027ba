package dev.lifelong.assistant.seedling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.TokenizedDataset;
import dev.lifelong.seedling.corpus.CorpusGenerator;
import dev.lifelong.seedling.corpus.GeneratedConversation;
import dev.lifelong.seedling.corpus.Split;
import dev.lifelong.seedling.training.SeedlingLossMain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Mean loss and perplexity of a seedling on whole held-out conversations (the evaluation split, answers included),
 * over the tokens it is trained on (assistant answers and their end-of-turn token). Tokenized with llama.cpp from the
 * model file itself; the forward pass runs in a child JVM without llama.cpp (decision 011).
 */
public final class HeldOutLoss {
    public record Result(int conversations, double lossTokens, double meanLoss, double perplexity) {
    }

    private HeldOutLoss() {
    }

    public static List<ChatExample> conversations(long seed, int count) {
        return new CorpusGenerator(seed).generate(Split.EVAL, count).stream().map(GeneratedConversation::example).toList();
    }

    public static Result measure(Path model, List<ChatExample> conversations, int maxSeqLen, int threads, Path workDir)
            throws IOException {
        TokenizedDataset data;
        try (ChatTokenizer tokenizer = ChatTokenizer.open(model)) {
            data = tokenizer.tokenize(conversations, maxSeqLen);
        }
        if (data.sequences().isEmpty()) throw new IllegalStateException("no held-out conversation could be tokenized");
        Files.createDirectories(workDir);
        Path seqs = Files.createTempFile(workDir, "heldout", ".bin");
        try {
            SequenceFiles.write(seqs, data.sequences());
            Process p = SeedlingLossMain.processBuilder(model, seqs, threads, "2g").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int exit = p.waitFor();
            String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
            if (exit != 0 || line == null) {
                String error = out.lines().filter(l -> l.startsWith("ERROR ")).findFirst().orElse("exit " + exit);
                throw new IllegalStateException("held-out loss failed: " + error);
            }
            JsonNode r = new ObjectMapper().readTree(line.substring(7));
            return new Result(r.path("sequences").asInt(), r.path("lossTokens").asDouble(), r.path("meanLoss").asDouble(),
                    r.path("perplexity").asDouble());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(seqs);
        }
    }
}
