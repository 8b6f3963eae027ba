package dev.lifelong.seedling.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.TrainingSequence;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Mean cross-entropy (and perplexity) of a seedling GGUF on sequences, weighted by their loss weights (for chat data:
 * the assistant tokens and their end-of-turn token). Like {@link SeedlingTrainMain} it runs in a JVM without llama.cpp
 * (decision 011); start it with {@link #processBuilder}. Prints {@code RESULT {json}} or {@code ERROR message}.
 */
public final class SeedlingLossMain {
    private SeedlingLossMain() {
    }

    public static ProcessBuilder processBuilder(Path model, Path sequences, int threads, String maxHeap) {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), SeedlingLossMain.class.getName(),
                model.toAbsolutePath().toString(), sequences.toAbsolutePath().toString(), Integer.toString(threads));
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb;
    }

    public static void main(String[] args) {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(4)));
        if (args.length != 3) {
            System.out.println("ERROR usage: SeedlingLossMain MODEL.gguf SEQUENCES THREADS");
            System.exit(2);
        }
        try {
            FullModel model = FullModel.load(Path.of(args[0]));
            List<TrainingSequence> data = new ArrayList<>(SequenceFiles.read(Path.of(args[1])));
            FullModel.computeThreads(Integer.parseInt(args[2]));
            int max = model.config().contextLength();
            data.replaceAll(s -> s.tokens().length <= max ? s : new TrainingSequence(
                    java.util.Arrays.copyOf(s.tokens(), max), java.util.Arrays.copyOf(s.lossWeights(), max)));
            data.sort(Comparator.comparingInt(s -> s.tokens().length));
            double lossSum = 0;
            double weightSum = 0;
            NDManager root = NDManager.newBaseManager("PyTorch");
            Map<String, NDArray> w = model.arrays(root, DataType.FLOAT32, false);
            for (int from = 0; from < data.size(); from += 4) {
                List<TrainingSequence> batch = data.subList(from, Math.min(data.size(), from + 4));
                int[][] tokens = new int[batch.size()][];
                float[][] weights = new float[batch.size()][];
                for (int i = 0; i < batch.size(); i++) {
                    tokens[i] = batch.get(i).tokens();
                    weights[i] = batch.get(i).lossWeights();
                    for (int k = 1; k < weights[i].length; k++) weightSum += weights[i][k];
                }
                try (NDManager m = root.newSubManager()) {
                    lossSum += FullModel.weightedLoss(model.config(), w, m, tokens, weights)
                            .toType(DataType.FLOAT64, false).getDouble();
                }
            }
            root.close();
            if (!(weightSum > 0)) throw new IllegalArgumentException("no token with a positive loss weight");
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("sequences", data.size());
            r.put("lossTokens", weightSum);
            r.put("meanLoss", lossSum / weightSum);
            r.put("perplexity", Math.exp(lossSum / weightSum));
            System.out.println("RESULT " + new ObjectMapper().writeValueAsString(r));
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
}
