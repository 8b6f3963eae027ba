package dev.lifelong.assistant.seedling;

import dev.lifelong.assistant.model.ModelFiles;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.GenerationResult;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.assistant.runtime.PromptTooLongException;
import dev.lifelong.assistant.runtime.RuntimeOptions;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.data.Turn;
import dev.lifelong.seedling.corpus.EvalCase;
import dev.lifelong.seedling.corpus.ExtractionSchema;
import dev.lifelong.seedling.corpus.Kind;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./lifelong seedling eval}: answers every held-out case greedily with llama.cpp (as serving would) and scores
 * it with {@link EvalCase#passes}.
 */
public final class SeedlingEvaluator {
    /** Longest answer considered: extraction JSON of two memories fits; a model that does not stop hits it. */
    public static final int MAX_TOKENS = 96;

    private SeedlingEvaluator() {
    }

    /** Counts per figure; a rate is null when no case measured it. */
    public record Report(int cases, int memoryQa, int memoryQaPassed, int abstention, int abstentionPassed,
            int extraction, int extractionValid, int extractionPassed, int correction, int correctionPassed,
            int stopped, int tooLong, double seconds) {
        public Double memoryQaAccuracy() { return rate(memoryQaPassed, memoryQa); }
        public Double abstentionRate() { return rate(abstentionPassed, abstention); }
        public Double extractionValidRate() { return rate(extractionValid, extraction); }
        public Double extractionCorrectRate() { return rate(extractionPassed, extraction); }
        public Double correctionAccuracy() { return rate(correctionPassed, correction); }
        public Double stopRate() { return rate(stopped, cases); }
        public Double overall() { return rate(memoryQaPassed + abstentionPassed + extractionPassed + correctionPassed, cases); }

        private static Double rate(int n, int of) {
            return of == 0 ? null : (double) n / of;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cases", cases);
            m.put("memory_qa_accuracy", memoryQaAccuracy());
            m.put("abstention_rate", abstentionRate());
            m.put("extraction_valid_rate", extractionValidRate());
            m.put("extraction_correct_rate", extractionCorrectRate());
            m.put("correction_accuracy", correctionAccuracy());
            m.put("stop_rate", stopRate());
            m.put("overall", overall());
            m.put("too_long", tooLong);
            m.put("max_tokens", MAX_TOKENS);
            m.put("seconds", seconds);
            return m;
        }

        public String table() {
            StringBuilder sb = new StringBuilder();
            row(sb, "answer from memory", memoryQaPassed, memoryQa);
            row(sb, "abstain when absent", abstentionPassed, abstention);
            row(sb, "extraction JSON valid", extractionValid, extraction);
            row(sb, "extraction correct", extractionPassed, extraction);
            row(sb, "correction", correctionPassed, correction);
            row(sb, "stops at end of turn", stopped, cases);
            if (tooLong > 0) sb.append(String.format(Locale.ROOT, "%d prompts did not fit the context and count as failed%n", tooLong));
            row(sb, "overall", memoryQaPassed + abstentionPassed + extractionPassed + correctionPassed, cases);
            return sb.toString();
        }

        private static void row(StringBuilder sb, String name, int n, int of) {
            sb.append(String.format(Locale.ROOT, "%-24s %6s  (%d/%d)%n", name,
                    of == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * n / of), n, of));
        }
    }

    public static Report evaluate(Path model, List<EvalCase> cases, int threads, PrintStream log) throws IOException {
        return evaluate(model, cases, threads, log, null);
    }

    /**
     * As {@link #evaluate(Path, List, int, PrintStream)}, also writing each case's answer and verdict as a JSON line
     * to {@code answers} (when not null) so a failure can be read, not only counted.
     */
    public static Report evaluate(Path model, List<EvalCase> cases, int threads, PrintStream log, Path answers)
            throws IOException {
        ModelFiles.check(model);
        java.io.Writer answerLog = answers == null ? null
                : java.nio.file.Files.newBufferedWriter(answers, java.nio.charset.StandardCharsets.UTF_8);
        try {
            return run(model, cases, threads, log, answerLog);
        } finally {
            if (answerLog != null) answerLog.close();
        }
    }

    private static Report run(Path model, List<EvalCase> cases, int threads, PrintStream log, java.io.Writer answerLog)
            throws IOException {
        int context;
        try (GgufFile f = GgufReader.read(model)) {
            String arch = f.findString("general.architecture").orElse("llama");
            context = (int) Math.max(128, Math.min(2048, f.findLong(arch + ".context_length").orElse(1024L)));
        }
        ExtractionSchema schema = ExtractionSchema.load();
        GenerationOptions greedy = new GenerationOptions(MAX_TOKENS, 0f, 1f, 1, List.of());
        int memoryQa = 0, memoryQaPassed = 0, abstention = 0, abstentionPassed = 0, extraction = 0, extractionValid = 0,
                extractionPassed = 0, correction = 0, correctionPassed = 0, stopped = 0, tooLong = 0, done = 0;
        long t0 = System.nanoTime();
        try (LlamaRuntime runtime = LlamaRuntime.load(model, new RuntimeOptions(threads, 0, context, 1))) {
            for (EvalCase c : cases) {
                List<ChatTurn> turns = new ArrayList<>();
                for (Turn t : c.prompt()) turns.add(new ChatTurn(t.role(), t.content()));
                String answer;
                boolean stop;
                try {
                    GenerationResult r = runtime.generate(turns, greedy, s -> { }, new Cancellation());
                    answer = r.text();
                    stop = r.finishReason() == GenerationResult.FinishReason.STOP;
                } catch (PromptTooLongException e) {
                    // counted as a failure of every figure, and reported, rather than dropped from the denominators
                    tooLong++;
                    answer = "";
                    stop = false;
                }
                boolean pass = !answer.isEmpty() && c.passes(answer, schema);
                if (answerLog != null) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("id", c.id());
                    line.put("kind", c.kind().name());
                    line.put("question", c.prompt().get(c.prompt().size() - 1).content());
                    line.put("answer", answer);
                    line.put("pass", pass);
                    line.put("stopped", stop);
                    answerLog.write(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(line) + "\n");
                }
                if (stop) stopped++;
                if (c.kind() == Kind.EXTRACTION) {
                    extraction++;
                    if (schema.validate(answer.strip()).isEmpty()) extractionValid++;
                    if (pass) extractionPassed++;
                } else if (c.kind() == Kind.ABSTENTION) {
                    abstention++;
                    if (pass) abstentionPassed++;
                } else if (c.kind() == Kind.CORRECTION) {
                    correction++;
                    if (pass) correctionPassed++;
                } else {
                    memoryQa++;
                    if (pass) memoryQaPassed++;
                }
                done++;
                if (log != null && (done % 50 == 0 || done == cases.size())) {
                    log.printf(Locale.ROOT, "  evaluated %d/%d%n", done, cases.size());
                    log.flush();
                }
            }
        }
        return new Report(cases.size(), memoryQa, memoryQaPassed, abstention, abstentionPassed, extraction,
                extractionValid, extractionPassed, correction, correctionPassed, stopped, tooLong, (System.nanoTime() - t0) / 1e9);
    }
}
