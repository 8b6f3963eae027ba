package dev.lifelong.loop;

import dev.lifelong.io.DurableFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.ChildJvm;
import dev.lifelong.lora.EvaluationMain;
import dev.lifelong.lora.MemoryPlan;
import dev.lifelong.lora.GgufLoraReader;
import dev.lifelong.lora.LoraConfig;
import dev.lifelong.lora.LoraTarget;
import dev.lifelong.lora.SequenceFiles;
import dev.lifelong.lora.TrainerProcess;
import dev.lifelong.lora.TrainingConfig;
import dev.lifelong.lora.TrainingJob;
import dev.lifelong.lora.TrainingResult;
import dev.lifelong.lora.TrainingSequence;
import dev.lifelong.lora.TransformerConfig;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTokenizer;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.lora.data.ExampleReader;
import dev.lifelong.lora.data.Turn;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * One run of the lifelong loop for one user: curate the interactions since the serving adapter, add the replay share
 * of earlier ones and the user's facts, train (continuing from the serving adapter), evaluate against the base and the
 * serving model, and promote the candidate only if the gate passes. Everything a run needs is written into its own
 * folder first ({@code adapters/user-N/runs/job-J/plan.json}), so a run killed at any point and started again with the
 * same job id continues with the same data and resumes training from its checkpoint. Promotion is one SQLite
 * transaction after the adapter file is in place: a crash leaves the previous adapter serving.
 */
public final class LifelongUpdate {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String GENERAL_PROBE = "/dev/lifelong/loop/general-probe.jsonl";
    private static final int MIN_NEW_FOR_HOLD_OUT = 5;

    private final Database db;
    private final Path dataDir;
    private final Path base;
    private final UpdateSettings settings;
    private final AdapterVersionStore versions;

    public LifelongUpdate(Database db, Path dataDir, Path base, UpdateSettings settings) {
        this.db = db;
        this.dataDir = dataDir.toAbsolutePath();
        this.base = base.toAbsolutePath();
        this.settings = settings;
        this.versions = new AdapterVersionStore(db);
    }

    /** Thrown when the update cannot run; the message says why in words a user understands. */
    public static final class UpdateException extends RuntimeException {
        private final boolean permanent;

        public UpdateException(String message, Throwable cause) {
            this(message, cause, false);
        }

        /** @param permanent trying again cannot help (the model cannot be trained, or does not fit in memory) */
        public UpdateException(String message, Throwable cause, boolean permanent) {
            super(message, cause);
            this.permanent = permanent;
        }

        public boolean permanent() {
            return permanent;
        }
    }

    /**
     * Why this machine cannot run an update on {@code base} with {@code settings}, or empty when it can: the model's
     * forward pass is one the trainer does not compute ({@link Trainability}), or training would not fit in the
     * memory available now ({@link MemoryPlan}).
     */
    public static java.util.Optional<String> refusal(Path base, UpdateSettings settings) {
        return TrainingReport.of(base, settings).refusal(MemoryPlan.availableMemory());
    }

    public static Path userDir(Path dataDir, long userId) {
        return dataDir.toAbsolutePath().resolve("adapters").resolve("user-" + userId);
    }

    /**
     * Runs (or, after a crash, continues) update job {@code jobId} for the user. One update per user at a time, across
     * processes (the server's scheduler and the CLI): a lock file in the user's folder, released by the OS if the
     * holder dies.
     *
     * @throws UpdateException when another process is updating this user now
     */
    public UpdateOutcome run(long userId, long jobId, UpdateListener listener) throws IOException, InterruptedException {
        Path lockFile = Files.createDirectories(userDir(dataDir, userId)).resolve("update.lock");
        try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            java.nio.channels.FileLock held;
            try {
                held = lock.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) throw new UpdateException("another update of this user is running right now", null);
            try {
                return runLocked(userId, jobId, listener, true).outcome();
            } finally {
                held.release();
            }
        }
    }

    /** What a trial run measured: the gate's figures and verdict, and the report that would be stored. */
    public record Trial(EvaluationGate.Metrics metrics, EvaluationGate.Verdict verdict, JsonNode report) {
    }

    private record Result(UpdateOutcome outcome, Trial trial) {
    }

    /**
     * Runs everything an update does — dataset, self-replay, training, evaluation, the gate — on the user's data as it is
     * now, and records nothing: no version, no promotion, its run folder removed. The learning benchmark uses it to
     * measure how much the gate's figures move between runs of the same night (noise the thresholds must clear).
     */
    public Trial trial(long userId, long trialId, UpdateListener listener) throws IOException, InterruptedException {
        Path lockFile = Files.createDirectories(userDir(dataDir, userId)).resolve("update.lock");
        try (FileChannel lock = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                java.nio.channels.FileLock held = lock.tryLock()) {
            if (held == null) throw new UpdateException("another update of this user is running right now", null);
            return runLocked(userId, trialId, listener, false).trial();
        }
    }

    private Result runLocked(long userId, long jobId, UpdateListener listener, boolean record) throws IOException, InterruptedException {
        // Half-written files of a killed run are never used; remove them.
        try (Stream<Path> files = Files.list(userDir(dataDir, userId))) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith(".") && p.getFileName().toString().endsWith(".tmp")).toList()) {
                Files.deleteIfExists(p);
            }
        }
        var done = record ? versions.byJob(userId, jobId) : java.util.Optional.<AdapterVersion>empty();
        if (done.isPresent()) {
            deleteRecursively(runDir(userId, jobId));
            return new Result(new UpdateOutcome(done.get(), "already finished before a restart: " + done.get().reason()), null);
        }
        var refused = refusal(base, settings);
        if (refused.isPresent()) throw new UpdateException(refused.get(), null, true);
        Path runDir = Files.createDirectories(runDir(userId, jobId));
        listener.phase("building the dataset");
        Plan plan = plan(userId, runDir, listener);
        if (plan == null) {
            deleteRecursively(runDir);
            return new Result(new UpdateOutcome(null, "nothing new to learn since the last adapter"), null);
        }
        listener.phase("tokenizing");
        TransformerConfig model;
        try (GgufFile f = GgufReader.read(base)) {
            model = TransformerConfig.from(f);
        }
        LoraConfig lora = new LoraConfig(EnumSet.allOf(LoraTarget.class), settings.rank(), settings.alpha(), 0f, settings.seed());
        Path serving = plan.servingFile == null ? null : dataDir.resolve(plan.servingFile);
        boolean continues = serving != null && Files.isRegularFile(serving) && compatible(serving, model, lora);
        Map<String, Path> sets = new LinkedHashMap<>();
        List<TrainingSequence> train;
        try (ChatTokenizer tokenizer = ChatTokenizer.open(base)) {
            train = tokenizer.tokenize(plan.train, settings.maxSeqLen()).sequences();
            if (train.isEmpty()) throw new UpdateException("no training example fits the model after tokenizing", null);
            sets.put("new", writeSet(runDir, "new", tokenizer, plan.newEval));
            if (!plan.oldEval.isEmpty()) sets.put("old", writeSet(runDir, "old", tokenizer, plan.oldEval));
            sets.put("general", writeSet(runDir, "general", tokenizer, generalProbe()));
            if (!plan.facts.isEmpty()) sets.put("facts", writeSet(runDir, "facts", tokenizer, plan.facts));
        }
        sets.values().removeIf(java.util.Objects::isNull);
        if (!sets.containsKey("new") || !sets.containsKey("general")) {
            throw new UpdateException("the evaluation sets could not be tokenized for this model", null);
        }

        // What the gate will score, decided before training so that the training process can score it right after
        // (one load of the base). The base and serving models' general-probe scores do not change from night to night:
        // they come from the score cache when an earlier night computed them.
        Path candidate = runDir.resolve("candidate.gguf");
        Map<String, Path> variants = new LinkedHashMap<>();
        variants.put("base", null);
        boolean hasServing = serving != null && Files.isRegularFile(serving);
        if (hasServing) variants.put("serving", serving);
        variants.put("candidate", candidate);
        String baseSha = DatasetFiles.sha256(base);
        ScoreCache cache = new ScoreCache(dataDir.resolve("cache").resolve("scores"));
        String generalSha = DatasetFiles.sha256(sets.get("general"));
        String servingSha = hasServing ? DatasetFiles.sha256(serving) : null;
        Map<String, List<String>> pairs = new LinkedHashMap<>();
        pairs.put("base", new ArrayList<>(hasServing ? List.of("general") : sets.keySet()));
        if (hasServing) pairs.put("serving", new ArrayList<>(sets.keySet()));
        pairs.put("candidate", new ArrayList<>(sets.keySet()));
        ObjectNode cached = JSON.createObjectNode();
        for (String variant : List.of("base", "serving")) {
            if (!pairs.containsKey(variant)) continue;
            String sha = variant.equals("base") ? "base" : servingSha;
            cache.get(baseSha, sha, generalSha).ifPresent(score -> {
                pairs.get(variant).remove("general");
                ((ObjectNode) cached.with(variant)).set("general", score);
            });
        }
        Path evaluationJob = writeEvaluationJob(runDir, variants, sets, pairs);

        listener.phase("training");
        TrainingConfig d = TrainingConfig.defaults();
        int epochs = settings.epochs() > 0 ? settings.epochs() : epochsFor(train);
        int steps = train.size() * epochs;
        TrainingConfig training = new TrainingConfig(settings.lr(), Math.min(10, Math.max(1, steps / 10)), d.minLrRatio(), d.weightDecay(),
                d.beta1(), d.beta2(), d.eps(), d.gradClip(), 1, settings.maxSeqLen(), epochs, 0, settings.seed(), 20);
        TrainingJob job = new TrainingJob(base, lora, training, runDir.resolve("train.seqs"), runDir.resolve("candidate.ckpt"),
                candidate, settings.threads(), continues ? serving : null, continues ? settings.anchor() : 0f, evaluationJob);
        TrainingResult result;
        Path trained = runDir.resolve("trained.json");
        Path evaluated = runDir.resolve("evaluated.json");
        if (Files.isRegularFile(trained) && Files.isRegularFile(candidate)) {
            // Killed after training finished: the candidate is complete (it is renamed into place only when written).
            JsonNode r = JSON.readTree(trained.toFile());
            List<Double> history = new ArrayList<>();
            r.get("lossHistory").forEach(x -> history.add(x.asDouble()));
            result = new TrainingResult(r.get("steps").asInt(), r.get("finalLoss").asDouble(), history);
        } else {
            TrainerProcess.Outcome outcome;
            try {
                boolean[] evaluating = {false};
                outcome = TrainerProcess.run(job, train, listener::training, (scored, total) -> {
                    if (!evaluating[0]) listener.phase("evaluating");
                    evaluating[0] = true;
                    listener.evaluation(scored, total);
                });
            } catch (TrainerProcess.TrainingFailedException e) {
                throw new UpdateException("training failed: " + e.getMessage(), e);
            } catch (MemoryPlan.NotEnoughMemoryException e) {
                throw new UpdateException(e.getMessage(), e, true);
            }
            result = outcome.result();
            if (outcome.evaluation() != null) writeAtomically(evaluated, JSON.writeValueAsBytes(outcome.evaluation()));
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("steps", result.steps());
            t.put("finalLoss", result.finalLoss());
            t.put("lossHistory", result.lossHistory());
            if (outcome.timings() != null) t.put("process", outcome.timings());
            writeAtomically(trained, JSON.writeValueAsBytes(t));
        }

        listener.phase("evaluating");
        ObjectNode scores = (ObjectNode) (Files.isRegularFile(evaluated) ? JSON.readTree(evaluated.toFile())
                : evaluate(runDir, evaluationJob, listener));
        cached.fields().forEachRemaining(e -> ((ObjectNode) scores.with(e.getKey())).setAll((ObjectNode) e.getValue()));
        for (String variant : List.of("base", "serving", "candidate")) {
            JsonNode general = scores.path(variant).path("general");
            if (general.isMissingNode()) continue;
            String sha = variant.equals("base") ? "base" : variant.equals("serving") ? servingSha : DatasetFiles.sha256(candidate);
            cache.put(baseSha, sha, generalSha, general);
        }
        String before = variants.containsKey("serving") ? "serving" : "base";
        EvaluationGate.Metrics metrics = new EvaluationGate.Metrics(
                loss(scores, before, "new"), loss(scores, "candidate", "new"), plan.newInSample,
                sets.containsKey("old") ? loss(scores, before, "old") : null, sets.containsKey("old") ? loss(scores, "candidate", "old") : null,
                loss(scores, "base", "general"), loss(scores, before, "general"), loss(scores, "candidate", "general"),
                sets.containsKey("facts") ? exact(scores, before, "facts") : null, sets.containsKey("facts") ? exact(scores, "candidate", "facts") : null,
                plan.facts.size());

        listener.phase("gating");
        EvaluationGate.Verdict verdict = EvaluationGate.judge(metrics, settings.gate());
        ObjectNode report = JSON.createObjectNode();
        report.put("job", jobId);
        report.set("dataset", JSON.valueToTree(plan.counts));
        report.set("replay", JSON.valueToTree(plan.replay));
        report.set("metrics", JSON.valueToTree(metrics));
        report.put("plasticity", metrics.plasticity());
        if (metrics.stabilityChange() != null) report.put("stability", metrics.stabilityChange());
        report.put("general", metrics.generalChange());
        report.set("scores", scores);
        report.set("verdict", JSON.valueToTree(verdict.reasons()));
        report.put("plainSummary", plainSummary(metrics, verdict, settings.gate(), plan.counts, versions.serving(userId)
                .map(AdapterVersion::version).orElse(null), verdict.promote() ? versions.nextVersion(userId) : null));
        report.put("continuedFrom", continues ? plan.servingFile : null);
        report.set("lora", JSON.valueToTree(Map.of("rank", lora.rank(), "alpha", lora.alpha(), "anchor", continues ? settings.anchor() : 0f)));
        ObjectNode trainingReport = JSON.valueToTree(Map.of("steps", result.steps(), "finalLoss", result.finalLoss(), "lossHistory", result.lossHistory(), "epochs", epochs));
        JsonNode process = JSON.readTree(trained.toFile()).path("process");
        if (!process.isMissingNode()) trainingReport.set("process", process);
        report.set("training", trainingReport);
        if (!record) {
            deleteRecursively(runDir);
            return new Result(null, new Trial(metrics, verdict, report));
        }
        listener.phase(verdict.promote() ? "promoting" : "recording the rejection");
        AdapterVersion version;
        if (verdict.promote()) {
            int next = versions.nextVersion(userId);
            Path target = userDir(dataDir, userId).resolve("v" + next + ".gguf");
            // Copied, not moved: until the database says otherwise the candidate stays in the run folder, so a run
            // killed here resumes without training again; the copy lands under its final name only when complete.
            DurableFiles.write(target, Files.readAllBytes(candidate), false, "promotion");
            // Fault injection for the crash tests: die like kill -9 between the file and the database commit.
            if ("promotion".equals(System.getenv("LIFELONG_CRASH_AT"))) Runtime.getRuntime().halt(137);
            version = versions.add(new AdapterVersionStore.NewVersion(userId, jobId, plan.servingId, true,
                    dataDir.relativize(target).toString(), DatasetFiles.sha256(target), baseSha, plan.datasetSha, plan.until,
                    JSON.writeValueAsString(report), verdict.summary()));
            applyRetention(userId);
        } else {
            version = versions.add(new AdapterVersionStore.NewVersion(userId, jobId, plan.servingId, false, null, null, baseSha,
                    plan.datasetSha, plan.until, JSON.writeValueAsString(report), verdict.summary()));
        }
        deleteRecursively(runDir);
        return new Result(new UpdateOutcome(version, verdict.summary()), new Trial(metrics, verdict, report));
    }

    /**
     * What a night did, in words a user reads on the Your model page (the figures stay one click away): how much it
     * learned from, how many facts it now knows without looking them up, whether general answers changed beyond noise,
     * and which version answers now.
     */
    static String plainSummary(EvaluationGate.Metrics m, EvaluationGate.Verdict verdict, UpdateSettings.Gate gate,
            Map<String, Object> counts, Integer servingBefore, Integer promotedAs) {
        StringBuilder b = new StringBuilder();
        int chats = ((Number) counts.getOrDefault("kept_turns", 0)).intValue()
                + ((Number) counts.getOrDefault("corrections", 0)).intValue();
        b.append(verdict.promote() ? "Learned from " : "Tried to learn from ").append(chats)
                .append(chats == 1 ? " exchange" : " exchanges");
        if (m.facts() > 0 && m.factsAfter() != null) {
            long after = Math.round(m.factsAfter() * m.facts());
            long before = m.factsBefore() == null ? 0 : Math.round(m.factsBefore() * m.facts());
            b.append(verdict.promote() ? "; knows " : "; would have known ").append(after).append(" of ").append(m.facts())
                    .append(m.facts() == 1 ? " fact about you" : " facts about you").append(" without looking them up")
                    .append(after != before ? " (was " + before + ")" : "");
        }
        double g = m.generalChange();
        String general = Math.abs(g) < 0.005 ? "general answers unchanged"
                : String.format(Locale.ROOT, "general answers %s%s (%+.1f%% loss on the general probe)",
                        Math.abs(g) < 0.05 ? "slightly " : "", g > 0 ? "worse" : "better", 100 * g);
        b.append("; ").append(general).append(". ");
        if (verdict.promote()) {
            b.append("Now answering with v").append(promotedAs).append('.');
        } else {
            List<String> why = new ArrayList<>();
            if (!(m.plasticity() >= gate.minPlasticityGain())) why.add("it did not learn the new chats well enough");
            if (m.stabilityChange() != null && m.stabilityChange() > gate.maxStabilityLoss()
                    && m.oldAfter() - m.oldBefore() > EvaluationGate.STABILITY_ABSOLUTE_SLACK) {
                why.add("it forgot earlier chats");
            }
            if (!(g <= gate.maxGeneralLoss())) why.add("general answers got worse");
            if (m.factsBefore() != null && m.factsAfter() != null && m.factsBefore() - m.factsAfter() > gate.maxFactAccuracyDrop()) {
                why.add("it forgot facts it knew");
            }
            b.append("Kept ").append(servingBefore == null ? "the base model" : "v" + servingBefore)
                    .append(why.isEmpty() ? " (the gate's thresholds were not all met)." : ": " + String.join(", ", why) + ".");
        }
        return b.toString();
    }

    void applyRetention(long userId) throws IOException {
        prune(db, dataDir, userId, settings.keepVersions());
    }

    /**
     * The retention policy: keeps the files of the newest {@code keep} promoted versions (and always the serving one);
     * older versions keep their figures and lose their file (they can no longer be served).
     *
     * @return how many files were deleted
     */
    public static int prune(Database db, Path dataDir, long userId, int keep) throws IOException {
        if (keep < 1) throw new IllegalArgumentException("keep at least 1 version");
        AdapterVersionStore versions = new AdapterVersionStore(db);
        int kept = 0;
        int deleted = 0;
        for (AdapterVersion v : versions.list(userId)) {
            if (v.state() != AdapterVersion.State.PROMOTED || v.file() == null) continue;
            if (++kept <= keep || v.serving()) continue;
            versions.fileDeleted(v.id());
            Files.deleteIfExists(dataDir.toAbsolutePath().resolve(v.file()));
            deleted++;
        }
        return deleted;
    }

    private Path runDir(long userId, long jobId) {
        return userDir(dataDir, userId).resolve("runs").resolve("job-" + jobId);
    }

    /** What a run trains and measures, fixed at its first attempt. */
    private record Plan(long after, long until, Long servingId, String servingFile, List<ChatExample> train, List<ChatExample> newEval,
            boolean newInSample, List<ChatExample> oldEval, List<ChatExample> facts, Map<String, Object> counts,
            Map<String, Object> replay, String datasetSha) {
    }

    private Plan plan(long userId, Path runDir, UpdateListener listener) throws IOException {
        Path file = runDir.resolve("plan.json");
        if (Files.isRegularFile(file)) return readPlan(file);
        var serving = versions.serving(userId);
        long after = serving.map(AdapterVersion::dataUntilMessageId).orElse(0L);
        long until = db.messages().lastIdOf(userId);
        DatasetBuilder builder = new DatasetBuilder(db, settings.systemPrompt());
        DatasetBuilder.Curated fresh = builder.interactions(userId, after, until);
        if (fresh.examples().isEmpty()) return null;
        List<DatasetExample> earlier = after > 0 ? builder.interactions(userId, 0, after).examples() : List.of();
        // The gate measures each fact by its closed-book cue; training sees it in several wordings (FactVariants).
        List<DatasetExample> facts = builder.facts(userId, fresh.report());
        List<DatasetExample> factTraining = (settings.factVariants() ? builder.factVariants(userId, fresh.report()) : facts).stream()
                .map(e -> new DatasetExample(new ChatExample(e.example().messages(), settings.factWeight()), e.kind(), e.sourceMessageId(), e.at()))
                .toList();
        // Self-generated replay: the serving model's own answers to a few general prompts.
        Path servingFile = serving.map(AdapterVersion::file).map(dataDir::resolve).filter(Files::isRegularFile).orElse(null);
        List<ChatExample> self = new ArrayList<>();
        if (settings.selfReplay() > 0) {
            listener.phase("answering general prompts for self-replay");
            self.addAll(SelfReplay.generate(base, servingFile, settings.systemPrompt(), runDir.getFileName().hashCode(),
                    settings.selfReplay()));
            for (int i = 0; i < self.size(); i++) fresh.report().add(CurationReport.SELF_REPLAY);
        }

        List<DatasetExample> newTrain = new ArrayList<>(fresh.examples());
        List<DatasetExample> newEval = new ArrayList<>();
        boolean inSample = fresh.examples().size() < MIN_NEW_FOR_HOLD_OUT || settings.heldOutFraction() == 0;
        if (!inSample) {
            int hold = Math.max(1, (int) Math.round(settings.heldOutFraction() * newTrain.size()));
            List<DatasetExample> byHash = new ArrayList<>(newTrain);
            byHash.sort(Comparator.comparingLong(e -> mix(settings.seed(), e)));
            newEval.addAll(byHash.subList(0, hold));
            newTrain.removeAll(newEval);
        } else {
            newEval.addAll(newTrain);
        }
        ReplaySampler.Sample replay = ReplaySampler.sample(earlier, settings.replayRatio(), settings.replayMinimum(), settings.seed());
        Set<DatasetExample> replayed = new HashSet<>(replay.examples());
        List<DatasetExample> oldEval = new ArrayList<>(earlier.stream().filter(e -> !replayed.contains(e)).toList());
        oldEval.sort(Comparator.comparingLong(e -> mix(settings.seed() + 1, e)));
        if (oldEval.size() > settings.oldHeldOut()) oldEval = new ArrayList<>(oldEval.subList(0, settings.oldHeldOut()));

        // Weights become repetitions: the trainer normalises each step by its own weight sum and a step holds one
        // sequence, so a weight would cancel out (measured: corrections "weighted 3x" trained exactly like plain turns).
        List<ChatExample> train = new ArrayList<>(repeatByWeight(Stream.of(newTrain, replay.examples(), factTraining)
                .flatMap(List::stream).map(DatasetExample::example).toList()));
        train.addAll(self);
        Map<String, Object> counts = new LinkedHashMap<>(fresh.report().ordered());
        counts.put("new_train", newTrain.size());
        counts.put("new_held_out", inSample ? 0 : newEval.size());
        counts.put("earlier_examples", earlier.size());
        counts.put("earlier_held_out", oldEval.size());
        counts.put("replayed", replay.examples().size());
        counts.put("training_examples", train.size());
        Map<String, Object> replayInfo = new LinkedHashMap<>();
        replayInfo.put("ratio", replay.ratio());
        replayInfo.put("minimum", replay.minimum());
        replayInfo.put("pool", replay.poolSize());
        replayInfo.put("count", replay.examples().size());
        replayInfo.put("perMonth", replay.perMonth());
        replayInfo.put("seed", settings.seed());
        Plan plan = new Plan(after, until, serving.map(AdapterVersion::id).orElse(null), serving.map(AdapterVersion::file).orElse(null),
                train, newEval.stream().map(DatasetExample::example).toList(), inSample,
                oldEval.stream().map(DatasetExample::example).toList(), facts.stream().map(DatasetExample::example).toList(),
                counts, replayInfo, sha256(train));
        writePlan(file, plan);
        return plan;
    }

    /** Each example {@code round(weight)} times (at least once) with weight 1. */
    static List<ChatExample> repeatByWeight(List<ChatExample> examples) {
        List<ChatExample> out = new ArrayList<>();
        for (ChatExample e : examples) {
            long copies = Math.max(1, Math.round(e.weight()));
            for (long k = 0; k < copies; k++) out.add(new ChatExample(e.messages(), 1.0));
        }
        return out;
    }

    private static long mix(long seed, DatasetExample e) {
        long h = seed * 0x9E3779B97F4A7C15L + (e.sourceMessageId() == null ? e.example().hashCode() : e.sourceMessageId()) * 0xC2B2AE3D27D4EB4FL
                + e.kind().ordinal();
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        return h ^ (h >>> 29);
    }

    private void writePlan(Path file, Plan p) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("after", p.after);
        n.put("until", p.until);
        if (p.servingId != null) n.put("servingId", p.servingId);
        n.put("servingFile", p.servingFile);
        n.set("train", examplesJson(p.train));
        n.set("newEval", examplesJson(p.newEval));
        n.put("newInSample", p.newInSample);
        n.set("oldEval", examplesJson(p.oldEval));
        n.set("facts", examplesJson(p.facts));
        n.set("counts", JSON.valueToTree(p.counts));
        n.set("replay", JSON.valueToTree(p.replay));
        n.put("datasetSha", p.datasetSha);
        writeAtomically(file, JSON.writeValueAsBytes(n));
    }

    @SuppressWarnings("unchecked")
    private Plan readPlan(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        return new Plan(n.get("after").asLong(), n.get("until").asLong(), n.hasNonNull("servingId") ? n.get("servingId").asLong() : null,
                n.hasNonNull("servingFile") ? n.get("servingFile").asText() : null, examples(n.get("train")), examples(n.get("newEval")),
                n.get("newInSample").asBoolean(), examples(n.get("oldEval")), examples(n.get("facts")),
                JSON.treeToValue(n.get("counts"), LinkedHashMap.class), JSON.treeToValue(n.get("replay"), LinkedHashMap.class),
                n.get("datasetSha").asText());
    }

    private static JsonNode examplesJson(List<ChatExample> list) {
        var arr = JSON.createArrayNode();
        for (ChatExample e : list) {
            ObjectNode o = arr.addObject();
            o.put("weight", e.weight());
            var msgs = o.putArray("messages");
            for (Turn t : e.messages()) msgs.addObject().put("role", t.role()).put("content", t.content());
        }
        return arr;
    }

    private static List<ChatExample> examples(JsonNode arr) {
        List<ChatExample> out = new ArrayList<>();
        for (JsonNode o : arr) {
            List<Turn> turns = new ArrayList<>();
            for (JsonNode t : o.get("messages")) turns.add(new Turn(t.get("role").asText(), t.get("content").asText()));
            out.add(new ChatExample(turns, o.get("weight").asDouble()));
        }
        return out;
    }

    static String sha256(List<ChatExample> examples) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(new ObjectMapper().writeValueAsBytes(examplesJson(examples)));
            return java.util.HexFormat.of().formatHex(d.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The general-ability probe that ships with Lifelong, with the serving system prompt in front. */
    List<ChatExample> generalProbe() throws IOException {
        Path tmp = Files.createTempFile("general-probe", ".jsonl");
        try (InputStream in = LifelongUpdate.class.getResourceAsStream(GENERAL_PROBE)) {
            if (in == null) throw new IOException("the general probe set " + GENERAL_PROBE + " is missing from the build");
            Files.write(tmp, in.readAllBytes());
            List<ChatExample> out = new ArrayList<>();
            for (ChatExample e : ExampleReader.read(tmp)) {
                List<Turn> turns = new ArrayList<>();
                if (settings.systemPrompt() != null && !settings.systemPrompt().isBlank()) turns.add(Turn.system(settings.systemPrompt()));
                turns.addAll(e.messages());
                out.add(new ChatExample(turns, e.weight()));
            }
            return out;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Path writeSet(Path runDir, String name, ChatTokenizer tokenizer, List<ChatExample> examples) throws IOException {
        List<TrainingSequence> seqs = tokenizer.tokenize(examples, settings.maxSeqLen()).sequences();
        if (seqs.isEmpty()) return null;
        Path file = runDir.resolve(name + ".eval.seqs");
        SequenceFiles.write(file, seqs);
        return file;
    }

    /** Writes the {@link EvaluationMain} job: each variant, each set, and which sets each variant still needs. */
    private Path writeEvaluationJob(Path runDir, Map<String, Path> variants, Map<String, Path> sets,
            Map<String, List<String>> pairs) throws IOException {
        ObjectNode job = JSON.createObjectNode();
        job.put("base", base.toString());
        job.put("threads", settings.threads());
        ObjectNode v = job.putObject("variants");
        variants.forEach((k, p) -> {
            if (p == null) v.putNull(k); else v.put(k, p.toAbsolutePath().toString());
        });
        ObjectNode s = job.putObject("sets");
        sets.forEach((k, p) -> s.put(k, p.toAbsolutePath().toString()));
        ObjectNode pr = job.putObject("pairs");
        pairs.forEach((k, list) -> list.forEach(pr.withArray(k)::add));
        Path jobFile = runDir.resolve("evaluation.json");
        writeAtomically(jobFile, JSON.writeValueAsBytes(job));
        return jobFile;
    }

    /** Training chooses its epochs from the night's size when the settings leave it open (epochs 0). */
    static int epochsFor(List<TrainingSequence> train) {
        long tokens = 0;
        for (TrainingSequence t : train) tokens += t.tokens().length;
        return tokens < 4_000 ? 3 : tokens < 16_000 ? 2 : 1;
    }

    /** Scores in an evaluation process of its own (after a restart that found the candidate already trained). */
    private JsonNode evaluate(Path runDir, Path jobFile, UpdateListener listener) throws IOException, InterruptedException {
        MemoryPlan plan;
        try (GgufFile f = GgufReader.read(base)) {
            TransformerConfig c = TransformerConfig.from(f);
            LoraConfig lora = new LoraConfig(EnumSet.allOf(LoraTarget.class), settings.rank(), settings.alpha(), 0f, settings.seed());
            plan = MemoryPlan.forEvaluation(f, c, lora, settings.maxSeqLen());
        }
        try {
            plan.requireFits("Evaluating", MemoryPlan.availableMemory());
        } catch (MemoryPlan.NotEnoughMemoryException e) {
            throw new UpdateException(e.getMessage(), e, true);
        }
        ProcessBuilder pb = ChildJvm.builder(plan, EvaluationMain.class, jobFile.toString())
                .redirectError(runDir.resolve("evaluation.log").toFile());
        Process p = pb.start();
        StringBuilder collected = new StringBuilder();
        try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                if (l.startsWith("PROGRESS ")) {
                    JsonNode n = JSON.readTree(l.substring(9));
                    listener.evaluation(n.path("done").asLong(), n.path("total").asLong());
                } else {
                    collected.append(l).append('\n');
                }
            }
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
        String out = collected.toString();
        int exit = p.waitFor();
        String line = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElse(null);
        if (exit != 0 || line == null) {
            String error = out.lines().filter(l -> l.startsWith("ERROR ")).map(l -> l.substring(6)).findFirst().orElse("exit code " + exit);
            throw new UpdateException("evaluation failed: " + error + " (see " + runDir.resolve("evaluation.log") + ")", null);
        }
        return JSON.readTree(line.substring(7));
    }

    private static double loss(JsonNode scores, String variant, String set) {
        return scores.path(variant).path(set).path("meanLoss").asDouble(Double.NaN);
    }

    private static double exact(JsonNode scores, String variant, String set) {
        return scores.path(variant).path(set).path("exact").asDouble(Double.NaN);
    }

    private static boolean compatible(Path adapter, TransformerConfig model, LoraConfig lora) {
        try {
            LoraConfig c = GgufLoraReader.read(adapter, model, 0).config();
            return c.rank() == lora.rank() && c.targets().equals(lora.targets()) && c.alpha() == lora.alpha();
        } catch (RuntimeException e) {
            return false;
        }
    }

    static void writeAtomically(Path file, byte[] bytes) throws IOException {
        DurableFiles.write(file, bytes, false, null);
    }

    static void deleteRecursively(Path dir) throws IOException {
        DurableFiles.deleteTree(dir);
    }
}
