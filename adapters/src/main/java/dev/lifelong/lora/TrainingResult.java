package dev.lifelong.lora;

import java.util.List;

/** What a training run did: optimizer steps taken (in total, resumed ones included), last loss, loss per step. */
public record TrainingResult(int steps, double finalLoss, List<Double> lossHistory) {
    public TrainingResult {
        lossHistory = List.copyOf(lossHistory);
    }
}
