package dev.lifelong.lora;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;

/**
 * Trains an adapter in a process of its own (no llama.cpp loaded: in a JVM that has run llama.cpp, PyTorch training
 * was seen to produce NaN gradients and run-to-run differences). Args: base, adapter, steps, rank, alpha, lr,
 * comma-separated tokens, comma-separated loss weights. Prints "RESULT firstLoss finalLoss tokensPerSecond".
 */
public final class TrainAdapterMain {
    private TrainAdapterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(args[0]);
        Path adapter = Path.of(args[1]);
        int steps = Integer.parseInt(args[2]);
        int rank = Integer.parseInt(args[3]);
        float alpha = Float.parseFloat(args[4]);
        float lr = Float.parseFloat(args[5]);
        int[] tokens = Arrays.stream(args[6].split(",")).mapToInt(Integer::parseInt).toArray();
        String[] ws = args[7].split(",");
        float[] weights = new float[ws.length];
        for (int i = 0; i < ws.length; i++) {
            weights[i] = Float.parseFloat(ws[i]);
        }
        LoraConfig lora = new LoraConfig(EnumSet.allOf(LoraTarget.class), rank, alpha, 0f, 7);
        TrainingConfig training = TrainingConfig.defaults().withLr(lr).withWarmup(2).withEpochs(steps);
        List<TrainingProgress> progress = new ArrayList<>();
        try (TransformerModel model = TransformerModel.load(base)) {
            LoraTrainer trainer = new LoraTrainer(model, lora, training, null);
            TrainingResult r = trainer.train(List.of(new TrainingSequence(tokens, weights)), progress::add);
            GgufLoraWriter.write(adapter, model.config(), trainer.weights());
            System.out.println("RESULT " + r.lossHistory().get(0) + " " + r.finalLoss() + " "
                    + progress.get(progress.size() - 1).tokensPerSecond() + " " + r.steps());
        }
    }
}
