package dev.lifelong.loop;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.LoraTarget;
import dev.lifelong.lora.MemoryPlan;
import dev.lifelong.lora.Trainability;
import dev.lifelong.lora.TransformerConfig;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Optional;

/**
 * What the user is told about training when a model is chosen ({@code serve --model}, {@code models pull},
 * {@code doctor}, the model screen): whether Lifelong can train it at all, and whether the nightly update fits in the
 * memory this machine has. The nightly job is not scheduled while {@link #refusal} gives a reason.
 *
 * @param reason why it cannot be trained (null when it can)
 * @param neededBytes peak memory of the larger of the training and evaluation processes (0 when untrainable)
 */
public record TrainingReport(boolean trainable, String reason, long neededBytes) {

    /** Checks {@code base} for the nightly update with {@code settings}; never throws for a readable file. */
    public static TrainingReport of(Path base, UpdateSettings settings) {
        try (GgufFile f = GgufReader.read(base)) {
            Trainability t = Trainability.of(f);
            if (!t.trainable()) return new TrainingReport(false, t.reason(), 0);
            TransformerConfig c = TransformerConfig.from(f);
            LoraConfig lora = new LoraConfig(EnumSet.allOf(LoraTarget.class), settings.rank(), settings.alpha(), 0f,
                    settings.seed());
            long train = MemoryPlan.forTraining(f, c, lora, settings.maxSeqLen(), 1).totalBytes();
            long eval = MemoryPlan.forEvaluation(f, c, lora, settings.maxSeqLen()).totalBytes();
            return new TrainingReport(true, null, Math.max(train, eval));
        } catch (RuntimeException e) {
            return new TrainingReport(false, "the file cannot be read for training (" + e.getMessage() + ")", 0);
        }
    }

    /** Why an update cannot run now with {@code available} bytes free, or empty when it can. */
    public Optional<String> refusal(long available) {
        if (!trainable) return Optional.of("this model chats but cannot be trained by Lifelong: " + reason);
        if (neededBytes + MemoryPlan.HEADROOM > available) {
            return Optional.of("training this model needs about " + MemoryPlan.gb(neededBytes) + " of memory; "
                    + MemoryPlan.gb(available) + " are free now. Close other programs, or choose a smaller model.");
        }
        return Optional.empty();
    }

    /** One line for the user, e.g. "chats and trains (training needs about 2.3 GB; 19.6 GB free)". */
    public String sentence(long available) {
        if (!trainable) return "chats; cannot be trained by Lifelong: " + reason;
        if (neededBytes + MemoryPlan.HEADROOM > available) {
            return "chats; training needs about " + MemoryPlan.gb(neededBytes) + " of memory, " + MemoryPlan.gb(available)
                    + " are free now";
        }
        return "chats and trains (training needs about " + MemoryPlan.gb(neededBytes) + "; " + MemoryPlan.gb(available)
                + " free)";
    }
}
