package dev.lifelong.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Runs a {@link TrainingJob} in a child JVM ({@link TrainerMain}) and relays its progress. The parent may have
 * llama.cpp loaded (it tokenized the data); the child must not.
 */
public final class TrainerProcess {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainerProcess() {}

    /**
     * What the child reported when it finished.
     *
     * @param peakResidentBytes the training process's peak resident memory (-1 where the OS does not say)
     * @param plan the memory it was planned and started with
     */
    public record Outcome(TrainingResult result, boolean resumed, long peakResidentBytes, MemoryPlan plan, JsonNode evaluation,
            JsonNode timings) {}

    /** Told the evaluation's progress in tokens scored, when the job includes one. */
    @FunctionalInterface
    public interface EvaluationProgress {
        void onProgress(long done, long total);
    }

    /** Thrown when the training process failed; the message is the child's own. */
    public static final class TrainingFailedException extends RuntimeException {
        public TrainingFailedException(String message) { super(message); }
    }

    /**
     * The memory the training process will need for this job.
     *
     * @throws dev.lifelong.gguf.GgufFormatException when the model cannot be trained (the reason is in the message)
     */
    public static MemoryPlan plan(TrainingJob job, List<TrainingSequence> data) {
        int longest = 2;
        for (TrainingSequence s : data) longest = Math.max(longest, Math.min(s.length(), job.training().maxSeqLen()));
        try (dev.lifelong.gguf.GgufFile gguf = dev.lifelong.gguf.GgufReader.read(job.base())) {
            TransformerConfig config = TransformerConfig.from(gguf);
            MemoryPlan train = MemoryPlan.forTraining(gguf, config, job.lora(), longest, job.training().gradAccumulation());
            if (job.evaluation() == null) return train;
            MemoryPlan eval = MemoryPlan.forEvaluation(gguf, config, job.lora(), job.training().maxSeqLen());
            return MemoryPlan.larger(train, eval);
        }
    }

    /**
     * Writes the data and the job next to the adapter, starts the child and blocks until it ends. If a checkpoint of
     * the same job exists, the child resumes from it. The child's log goes to {@code ADAPTER.train.log}.
     *
     * @throws MemoryPlan.NotEnoughMemoryException before starting anything when the run would not fit in memory
     */
    public static Outcome run(TrainingJob job, List<TrainingSequence> data, TrainingListener listener) throws IOException, InterruptedException {
        return run(job, data, listener, (done, total) -> { });
    }

    /** {@link #run(TrainingJob, List, TrainingListener)} with the progress of the job's evaluation, if it has one. */
    public static Outcome run(TrainingJob job, List<TrainingSequence> data, TrainingListener listener,
            EvaluationProgress evaluationProgress) throws IOException, InterruptedException {
        MemoryPlan plan = plan(job, data);
        plan.requireFits("Training", MemoryPlan.availableMemory());
        SequenceFiles.write(job.sequences(), data);
        Path jobFile = job.adapter().resolveSibling(job.adapter().getFileName() + ".job.json");
        Path log = job.adapter().resolveSibling(job.adapter().getFileName() + ".train.log");
        job.write(jobFile);
        ProcessBuilder pb = ChildJvm.builder(plan, TrainerMain.class, jobFile.toString()).redirectError(log.toFile());
        Process p = pb.start();
        TrainingResult result = null;
        JsonNode evaluation = null;
        JsonNode timings = null;
        long peak = -1;
        boolean resumed = false;
        String error = null;
        Deque<String> tail = new ArrayDeque<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith("PROGRESS ")) {
                    JsonNode n = JSON.readTree(line.substring(9));
                    listener.onProgress(new TrainingProgress(n.get("step").asInt(), n.get("totalSteps").asInt(),
                            n.get("loss").asDouble(), n.get("tokensPerSecond").asDouble(), n.get("etaSeconds").asDouble()));
                } else if (line.startsWith("EVAL_PROGRESS ")) {
                    JsonNode n = JSON.readTree(line.substring(14));
                    evaluationProgress.onProgress(n.path("done").asLong(), n.path("total").asLong());
                } else if (line.startsWith("EVALUATION ")) {
                    evaluation = JSON.readTree(line.substring(11));
                } else if (line.startsWith("RESUMING ")) {
                    resumed = true;
                } else if (line.startsWith("RESULT ")) {
                    JsonNode n = JSON.readTree(line.substring(7));
                    List<Double> history = new ArrayList<>();
                    n.get("lossHistory").forEach(x -> history.add(x.asDouble()));
                    result = new TrainingResult(n.get("steps").asInt(), n.get("finalLoss").asDouble(), history);
                    peak = n.path("peakResidentBytes").asLong(-1);
                    com.fasterxml.jackson.databind.node.ObjectNode t = JSON.createObjectNode();
                    for (String k : List.of("loadSeconds", "trainSeconds", "evaluationSeconds")) {
                        if (n.has(k)) t.put(k, n.get(k).asDouble());
                    }
                    t.put("peakResidentBytes", peak);
                    timings = t;
                } else if (line.startsWith("ERROR ")) {
                    error = line.substring(6);
                } else {
                    tail.addLast(line);
                    if (tail.size() > 20) tail.removeFirst();
                }
            }
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
        int exit = p.waitFor();
        if (exit != 0 || result == null) {
            throw new TrainingFailedException(error != null ? error
                    : "the training process ended with exit code " + exit + "; see " + log
                    + (tail.isEmpty() ? "" : ": " + String.join(" | ", tail)));
        }
        Files.deleteIfExists(jobFile);
        Files.deleteIfExists(job.adapter().resolveSibling(job.adapter().getFileName() + ".lock"));
        Files.deleteIfExists(job.sequences());
        Files.deleteIfExists(log);
        return new Outcome(result, resumed, peak, plan, evaluation, timings);
    }
}
