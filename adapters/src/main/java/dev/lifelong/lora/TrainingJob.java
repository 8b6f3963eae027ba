package dev.lifelong.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Everything a training process needs, written as JSON next to the adapter.
 *
 * @param threads PyTorch threads (0 = PyTorch's default)
 * @param start   an adapter to continue from (the one serving now), or null to start fresh
 * @param anchor  strength of an L2 pull toward {@code start}'s weights (0 = none)
 * @param evaluation an {@link EvaluationMain} job to run right after training in the same process, scoring the
 *                   trained weights as its "candidate" (saves loading the base twice); null for none
 */
public record TrainingJob(Path base, LoraConfig lora, TrainingConfig training, Path sequences, Path checkpoint,
                          Path adapter, int threads, Path start, float anchor, Path evaluation) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TrainingJob {
        if (!(anchor >= 0) || !Float.isFinite(anchor)) throw new IllegalArgumentException("anchor must be a finite number >= 0");
        if (anchor > 0 && start == null) throw new IllegalArgumentException("an anchor needs an adapter to start from");
    }

    public TrainingJob(Path base, LoraConfig lora, TrainingConfig training, Path sequences, Path checkpoint, Path adapter, int threads) {
        this(base, lora, training, sequences, checkpoint, adapter, threads, null, 0f, null);
    }

    public TrainingJob(Path base, LoraConfig lora, TrainingConfig training, Path sequences, Path checkpoint, Path adapter,
            int threads, Path start, float anchor) {
        this(base, lora, training, sequences, checkpoint, adapter, threads, start, anchor, null);
    }

    public void write(Path file) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("base", base.toAbsolutePath().toString());
        n.put("sequences", sequences.toAbsolutePath().toString());
        n.put("checkpoint", checkpoint.toAbsolutePath().toString());
        n.put("adapter", adapter.toAbsolutePath().toString());
        n.put("threads", threads);
        if (start != null) n.put("start", start.toAbsolutePath().toString());
        n.put("anchor", anchor);
        if (evaluation != null) n.put("evaluation", evaluation.toAbsolutePath().toString());
        ObjectNode l = n.putObject("lora");
        l.put("rank", lora.rank());
        l.put("alpha", lora.alpha());
        l.put("dropout", lora.dropout());
        l.put("seed", lora.seed());
        var targets = l.putArray("targets");
        lora.targets().stream().map(Enum::name).sorted().forEach(targets::add);
        n.set("training", JSON.valueToTree(training));
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".job", ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(n));
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    public static TrainingJob read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        JsonNode l = n.get("lora");
        Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
        l.get("targets").forEach(t -> targets.add(LoraTarget.valueOf(t.asText())));
        LoraConfig lora = new LoraConfig(targets, l.get("rank").asInt(), (float) l.get("alpha").asDouble(),
                (float) l.get("dropout").asDouble(), l.get("seed").asLong());
        TrainingConfig training = JSON.treeToValue(n.get("training"), TrainingConfig.class);
        return new TrainingJob(Path.of(n.get("base").asText()), lora, training, Path.of(n.get("sequences").asText()),
                Path.of(n.get("checkpoint").asText()), Path.of(n.get("adapter").asText()), n.get("threads").asInt(),
                n.hasNonNull("start") ? Path.of(n.get("start").asText()) : null, (float) n.path("anchor").asDouble(0),
                n.hasNonNull("evaluation") ? Path.of(n.get("evaluation").asText()) : null);
    }
}
