package dev.lifelong.seedling.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.gguf.GgufValueType;
import dev.lifelong.gguf.GgufWriter;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.TrainingListener;
import dev.lifelong.lora.TrainingSequence;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The seedling training process: trains a {@link FullModel} from scratch as a {@link SeedlingJob} says and writes
 * it as GGUF. Runs in a JVM that never loads llama.cpp (shared libgomp gave NaN gradients, decision 011). Reports on
 * stdout {@code PROGRESS {json}}, {@code RESUMING {json}}, {@code RESULT {json}} and {@code ERROR message}; stops
 * when its parent dies. Running the same job again resumes from its checkpoint.
 *
 * <p>Start it with {@link #processBuilder}, which sets {@code OMP_WAIT_POLICY=PASSIVE} (on 2 shared, busy cores
 * PyTorch's spinning OpenMP threads made a training step several times slower); it must be in the environment
 * before the native libraries load.
 */
public final class SeedlingTrainMain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SeedlingTrainMain() {
    }

    /** A child JVM (this JVM's java and class path) that runs {@code jobFile}, with the environment it needs. */
    public static ProcessBuilder processBuilder(Path jobFile, String maxHeap) {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), SeedlingTrainMain.class.getName(),
                jobFile.toAbsolutePath().toString());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb;
    }

    public static void main(String[] args) {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(4)));
        if (args.length != 1) {
            System.out.println("ERROR usage: SeedlingTrainMain JOB.json");
            System.exit(2);
        }
        try {
            SeedlingJob job = SeedlingJob.read(Path.of(args[0]));
            Consumer<GgufWriter> vocabulary = tokenizerOf(job.vocabularyFrom(), job.model().vocabSize());
            List<TrainingSequence> data = SequenceFiles.read(job.sequences());
            FullTrainer trainer = new FullTrainer(job.model(), job.training(), job.checkpoint());
            TrainingListener progress = p -> emit("PROGRESS", Map.of("step", p.step(), "totalSteps", p.totalSteps(),
                    "loss", p.loss(), "tokensPerSecond", p.tokensPerSecond(), "etaSeconds", finite(p.etaSeconds())));
            FullTrainer.Result result;
            if (job.checkpoint() != null && Files.isRegularFile(job.checkpoint())) {
                emit("RESUMING", Map.of("checkpoint", job.checkpoint().toString()));
                result = trainer.resume(job.checkpoint(), data, progress);
            } else {
                result = trainer.train(data, progress);
            }
            GgufWriter w = GgufModelExport.writer(trainer.model(), job.weightType(), job.name(), vocabulary);
            w.putUInt32("seedling.training.steps", result.stepsDone());
            w.putFloat32("seedling.training.final_loss", (float) result.finalLoss());
            w.write(job.output());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("steps", result.stepsDone());
            r.put("totalSteps", result.totalSteps());
            r.put("stoppedEarly", result.stoppedEarly());
            r.put("finalLoss", result.finalLoss());
            r.put("firstLoss", result.lossHistory().get(0));
            r.put("tokens", result.tokens());
            r.put("seconds", result.seconds());
            r.put("parameters", job.model().parameterCount());
            r.put("output", job.output().toString());
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

    /** Copies every {@code tokenizer.*} key of {@code gguf} (values read now, so the file may change later). */
    public static Consumer<GgufWriter> tokenizerOf(Path gguf, int vocabSize) throws IOException {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, GgufValueType> elementTypes = new LinkedHashMap<>();
        try (GgufFile f = GgufReader.read(gguf)) {
            for (Map.Entry<String, Object> e : f.metadata().entrySet()) {
                if (e.getKey().startsWith("tokenizer.")) {
                    values.put(e.getKey(), e.getValue());
                    types.put(e.getKey(), f.valueType(e.getKey()).orElseThrow());
                    f.arrayElementType(e.getKey()).ifPresent(t -> elementTypes.put(e.getKey(), t));
                }
            }
            int tokens = f.getList("tokenizer.ggml.tokens").size();
            if (tokens != vocabSize) {
                throw new IllegalArgumentException(gguf + " has " + tokens + " tokens but the model's vocabulary size "
                        + "is " + vocabSize);
            }
        }
        return w -> {
            for (Map.Entry<String, Object> e : values.entrySet()) {
                w.putValue(e.getKey(), types.get(e.getKey()), elementTypes.get(e.getKey()), e.getValue());
            }
        };
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
