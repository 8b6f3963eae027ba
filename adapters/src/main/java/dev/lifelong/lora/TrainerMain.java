package dev.lifelong.lora;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training process. Training runs in a JVM of its own that never loads llama.cpp: both native libraries link
 * {@code libgomp.so.1}, and PyTorch training in a JVM that had run llama.cpp gave NaN gradients (see decision 011).
 * Talks to its parent through stdout lines {@code PROGRESS {json}}, {@code RESULT {json}} and {@code ERROR message}
 * (and, when the job includes an evaluation, {@code EVAL_PROGRESS {json}} and {@code EVALUATION {json}} before RESULT),
 * and stops when its parent dies, so a killed {@code train} command leaves no orphan behind.
 */
public final class TrainerMain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainerMain() {}

    public static void main(String[] args) {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(4)));
        if (args.length != 1) {
            System.out.println("ERROR usage: TrainerMain JOB.json");
            System.exit(2);
        }
        try {
            TrainingJob job = TrainingJob.read(Path.of(args[0]));
            // One trainer per adapter at a time: a killed run's orphan may live on for a moment until it notices its
            // parent is gone, and must not race the run that resumes its checkpoint.
            java.nio.channels.FileChannel lockChannel = java.nio.channels.FileChannel.open(
                    job.adapter().resolveSibling(job.adapter().getFileName() + ".lock"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            if (lockChannel.tryLock() == null) {
                System.err.println("waiting for another training process of " + job.adapter() + " to end");
                lockChannel.lock();
            }
            if (job.threads() > 0) TransformerModel.computeThreads(job.threads());
            List<TrainingSequence> data = SequenceFiles.read(job.sequences());
            TrainingResult result;
            Map<String, Object> evaluation = null;
            long t0 = System.nanoTime();
            long loaded;
            long trainedAt;
            long evaluatedAt;
            try (TransformerModel model = TransformerModel.load(job.base())) {
                loaded = System.nanoTime();
                LoraTrainer trainer = new LoraTrainer(model, job.lora(), job.training(), job.checkpoint());
                if (job.start() != null) {
                    trainer.startFrom(GgufLoraReader.read(job.start(), model.config(), job.lora().seed()), job.anchor());
                }
                TrainingListener progress = p -> emit("PROGRESS", Map.of("step", p.step(), "totalSteps", p.totalSteps(),
                        "loss", p.loss(), "tokensPerSecond", p.tokensPerSecond(), "etaSeconds", finite(p.etaSeconds())));
                if (Files.isRegularFile(job.checkpoint())) {
                    emit("RESUMING", Map.of("checkpoint", job.checkpoint().toString()));
                    result = trainer.resume(job.checkpoint(), data, progress);
                } else {
                    result = trainer.train(data, progress);
                }
                GgufLoraWriter.write(job.adapter(), model.config(), trainer.weights());
                trainedAt = System.nanoTime();
                if (job.evaluation() != null) {
                    // The gate's scores with the base already in memory: no second load in an evaluation process.
                    evaluation = EvaluationMain.evaluate(model, JSON.readTree(job.evaluation().toFile()),
                            Map.of("candidate", trainer.weights()), "EVAL_PROGRESS");
                }
                evaluatedAt = System.nanoTime();
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("steps", result.steps());
            r.put("finalLoss", result.finalLoss());
            r.put("lossHistory", result.lossHistory());
            r.put("peakResidentBytes", MemoryPlan.peakResidentBytes());
            r.put("loadSeconds", (loaded - t0) / 1e9);
            r.put("trainSeconds", (trainedAt - loaded) / 1e9);
            if (evaluation != null) r.put("evaluationSeconds", (evaluatedAt - trainedAt) / 1e9);
            if (evaluation != null) emit("EVALUATION", evaluation);
            emit("RESULT", r);
            System.out.flush();
            System.exit(0);
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            System.out.println("ERROR " + msg.replace('\n', ' '));
            e.printStackTrace();
            System.out.flush();
            System.exit(3);
        }
    }

    private static double finite(double d) {
        return Double.isFinite(d) ? d : -1;
    }

    private static synchronized void emit(String kind, Object payload) {
        try {
            System.out.println(kind + " " + JSON.writeValueAsString(payload));
            System.out.flush();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
