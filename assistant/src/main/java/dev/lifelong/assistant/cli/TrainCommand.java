package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigLoader;
import dev.lifelong.assistant.model.ModelFiles;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.TrainerProcess;
import dev.lifelong.lora.TrainingJob;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.LoraTarget;
import dev.lifelong.lora.TrainingConfig;
import dev.lifelong.lora.TrainingFlops;
import dev.lifelong.lora.TrainingResult;
import dev.lifelong.lora.TransformerConfig;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.DatasetException;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.lora.data.ExampleReader;
import dev.lifelong.lora.data.TokenizedDataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code ./lifelong train}: trains a LoRA adapter on chat examples and writes it as a GGUF adapter llama.cpp loads,
 * with a JSON sidecar. Checkpoints next to the output; running the same command again after a crash resumes.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train a LoRA adapter on chat examples (JSONL).")
public final class TrainCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--user", required = true, description = "Whose adapter this is (letters, digits, . _ -).") String user;
    @Option(names = "--examples", required = true, paramLabel = "FILE.jsonl", description = "Chat examples, one JSON object per line.") Path examples;
    @Option(names = "--out", required = true, paramLabel = "ADAPTER.gguf", description = "Where the adapter goes (a .json sidecar goes next to it).") Path out;
    @Option(names = "--model", paramLabel = "BASE.gguf", description = "Base model (default: the model serve would use).") Path model;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE}).") int rank;
    @Option(names = "--alpha", description = "LoRA alpha (default 2 x rank).") Float alpha;
    @Option(names = "--dropout", defaultValue = "0", description = "LoRA dropout (default ${DEFAULT-VALUE}).") float dropout;
    @Option(names = "--targets", defaultValue = "q,k,v,o,gate,up,down", split = ",", description = "Projections to adapt (default ${DEFAULT-VALUE}).") List<String> targets;
    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the examples (default ${DEFAULT-VALUE}).") int epochs;
    @Option(names = "--max-steps", defaultValue = "0", description = "Stop after this many optimizer steps (0 = all epochs).") int maxSteps;
    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak learning rate (default ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--warmup", defaultValue = "10", description = "Warm-up steps (default ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--grad-accum", defaultValue = "1", description = "Sequences per optimizer step (default ${DEFAULT-VALUE}).") int gradAccum;
    @Option(names = "--max-seq", defaultValue = "1024", description = "Longest sequence in tokens (default ${DEFAULT-VALUE}).") int maxSeq;
    @Option(names = "--seed", defaultValue = "1", description = "Seed for initialisation, shuffling, dropout (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--threads", description = "CPU threads for PyTorch (default: all cores).") Integer threads;
    @Option(names = "--checkpoint-every", defaultValue = "20", description = "Checkpoint every N steps (default ${DEFAULT-VALUE}; 0 = never).") int checkpointEvery;
    @Option(names = "--dry-run", description = "Only report tokens, trainable parameters and an estimated time.") boolean dryRun;

    @Override
    public Integer call() throws Exception {
        if (!user.matches("[A-Za-z0-9._-]{1,64}")) throw new UserFacingException("--user must be 1-64 letters, digits, '.', '_' or '-'");
        if (!Files.isRegularFile(examples)) throw new UserFacingException("examples file not found: " + examples);
        if (out.getFileName() == null || !out.getFileName().toString().endsWith(".gguf")) throw new UserFacingException("--out must name a .gguf file");
        if (threads != null && threads < 1) throw new UserFacingException("--threads must be at least 1");
        Path base = resolveBase();
        LoraConfig lora;
        TrainingConfig training;
        try {
            lora = new LoraConfig(parseTargets(targets), rank, alpha == null ? 2f * rank : alpha, dropout, seed);
            TrainingConfig d = TrainingConfig.defaults();
            training = new TrainingConfig(lr, warmup, d.minLrRatio(), d.weightDecay(), d.beta1(), d.beta2(), d.eps(), d.gradClip(),
                    gradAccum, maxSeq, epochs, maxSteps, seed, dryRun ? 0 : checkpointEvery);
        } catch (IllegalArgumentException e) {
            throw new UserFacingException(e.getMessage());
        }

        List<ChatExample> chats;
        try {
            chats = ExampleReader.read(examples);
        } catch (DatasetException e) {
            throw new UserFacingException(e.getMessage());
        }
        TokenizedDataset data;
        try (ChatTokenizer tokenizer = ChatTokenizer.open(base)) {
            data = tokenizer.tokenize(chats, maxSeq);
        }
        System.err.println(data.summary());
        if (data.sequences().isEmpty()) throw new UserFacingException("no example has an assistant answer left to learn from");

        TransformerConfig cfg;
        try (GgufFile gguf = GgufReader.read(base)) {
            cfg = TransformerConfig.from(gguf);
        } catch (dev.lifelong.gguf.GgufFormatException e) {
            throw new UserFacingException(e.getMessage());
        }
        long trainable = trainableParameters(cfg, lora);
        Path checkpoint = out.resolveSibling(out.getFileName() + ".ckpt");
        int steps = totalSteps(data.sequences().size(), training);
        if (dryRun) {
            double flops = TrainingFlops.perToken(cfg, lora) * data.tokens() * epochs;
            double gflops = TrainingFlops.measureMatmulGflops();
            System.out.printf(Locale.ROOT, "base          %s (%s, %d layers, width %d)%n", base, cfg.architecture(), cfg.nLayer(), cfg.nEmbd());
            System.out.printf(Locale.ROOT, "examples      %d (%d tokens, %d with loss)%n", data.examples(), data.tokens(), data.lossTokens());
            System.out.printf(Locale.ROOT, "trainable     %,d parameters (rank %d on %s)%n", trainable, rank, lora.targets());
            System.out.printf(Locale.ROOT, "steps         %d%n", steps);
            TrainingJob planned = new TrainingJob(base, lora, training, out.resolveSibling(out.getFileName() + ".seqs"),
                    checkpoint, out, threads == null ? 0 : threads);
            dev.lifelong.lora.MemoryPlan plan = TrainerProcess.plan(planned, data.sequences());
            System.out.printf(Locale.ROOT, "memory        about %s (%s free now)%n", dev.lifelong.lora.MemoryPlan.gb(plan.totalBytes()),
                    dev.lifelong.lora.MemoryPlan.gb(dev.lifelong.lora.MemoryPlan.availableMemory()));
            System.out.printf(Locale.ROOT, "estimate      %s (%.1f TFLOP at the %.1f GFLOPS a plain matmul reaches here, so a lower bound)%n",
                    human(Duration.ofSeconds((long) Math.ceil(flops / (gflops * 1e9)))), flops / 1e12, gflops);
            return 0;
        }
        Instant started = Instant.now();
        TrainingProgressBar bar = new TrainingProgressBar(System.err, System.console() != null);
        if (Files.isRegularFile(checkpoint)) System.err.println("resuming from checkpoint " + checkpoint);
        TrainingJob job = new TrainingJob(base, lora, training, out.resolveSibling(out.getFileName() + ".seqs"), checkpoint, out,
                threads == null ? 0 : threads);
        TrainerProcess.Outcome outcome;
        try {
            outcome = TrainerProcess.run(job, data.sequences(), bar);
        } catch (dev.lifelong.lora.MemoryPlan.NotEnoughMemoryException e) {
            bar.finish();
            throw new UserFacingException(e.getMessage());
        } catch (TrainerProcess.TrainingFailedException e) {
            bar.finish();
            throw new UserFacingException("training failed: " + e.getMessage()
                    + (Files.exists(checkpoint) ? " (the checkpoint is kept: run the same command to resume, or delete " + checkpoint + ")" : ""));
        }
        bar.finish();
        TrainingResult result = outcome.result();
        writeSidecar(base, cfg, lora, training, data, result, trainable, started);
        Files.deleteIfExists(checkpoint);
        System.out.printf(Locale.ROOT, "wrote %s (%d steps, final loss %.4f)%n", out, result.steps(), result.finalLoss());
        if (outcome.peakResidentBytes() > 0) {
            System.out.printf(Locale.ROOT, "peak memory of the training process %s (planned %s)%n",
                    dev.lifelong.lora.MemoryPlan.gb(outcome.peakResidentBytes()), dev.lifelong.lora.MemoryPlan.gb(outcome.plan().totalBytes()));
        }
        return 0;
    }

    static int totalSteps(int sequences, TrainingConfig c) {
        int all = Math.ceilDiv(sequences, c.gradAccumulation()) * c.epochs();
        return c.maxSteps() > 0 ? Math.min(all, c.maxSteps()) : all;
    }

    private Path resolveBase() {
        if (model != null) {
            ModelFiles.check(model);
            return model.toAbsolutePath();
        }
        Path dataDir = common.dataDir();
        AssistantConfig config = ConfigLoader.load(dataDir, Map.of());
        return ModelResolver.resolve(config.model(), new ModelStore(dataDir), ModelResolver.home().resolve(ModelResolver.SEEDLING))
                .map(ModelResolver.Choice::path)
                .orElseThrow(() -> new UserFacingException("no base model: pass --model BASE.gguf or pull one (./lifelong models list)"));
    }

    static Set<LoraTarget> parseTargets(List<String> names) {
        Set<LoraTarget> set = EnumSet.noneOf(LoraTarget.class);
        for (String n : names) {
            try {
                set.add(LoraTarget.valueOf(n.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new UserFacingException("unknown LoRA target '" + n + "'; choose from q, k, v, o, gate, up, down");
            }
        }
        return set;
    }

    static long trainableParameters(TransformerConfig cfg, LoraConfig lora) {
        long per = 0;
        for (LoraTarget t : lora.targets()) per += (long) lora.rank() * (t.inFeatures(cfg) + t.outFeatures(cfg));
        return per * cfg.nLayer();
    }

    private void writeSidecar(Path base, TransformerConfig cfg, LoraConfig lora, TrainingConfig training, TokenizedDataset data,
                              TrainingResult result, long trainable, Instant started) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("user", user);
        m.put("adapter", out.getFileName().toString());
        m.put("created", Instant.now().toString());
        m.put("seconds", Duration.between(started, Instant.now()).toSeconds());
        m.put("base_model", base.toString());
        m.put("base_sha256", DatasetFiles.sha256(base));
        m.put("architecture", cfg.architecture());
        m.put("examples_file", examples.toAbsolutePath().toString());
        m.put("data_sha256", DatasetFiles.sha256(examples));
        m.put("examples", data.examples());
        m.put("tokens", data.tokens());
        m.put("loss_tokens", data.lossTokens());
        m.put("lora", Map.of("rank", lora.rank(), "alpha", lora.alpha(), "dropout", lora.dropout(),
                "targets", lora.targets().stream().map(Enum::name).sorted().toList(), "trainable_parameters", trainable));
        m.put("training", training);
        m.put("steps", result.steps());
        m.put("final_loss", result.finalLoss());
        m.put("loss_history", result.lossHistory());
        Path sidecar = out.resolveSibling(out.getFileName().toString().replaceAll("\\.gguf$", "") + ".json");
        Path tmp = Files.createTempFile(sidecar.toAbsolutePath().getParent(), ".sidecar", ".tmp");
        Files.writeString(tmp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m), StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, sidecar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s < 90 ? s + " s" : s < 5400 ? (s / 60) + " min" : String.format(Locale.ROOT, "%.1f h", s / 3600.0);
    }
}
