package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigLoader;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.lora.TrainingProgress;
import dev.lifelong.loop.LifelongUpdate;
import dev.lifelong.loop.UpdateListener;
import dev.lifelong.loop.UpdateOutcome;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.UpdateJob;
import dev.lifelong.memory.UpdateJobStore;
import dev.lifelong.memory.Users;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./lifelong update --now}: the nightly update of one user, run now in this process (a running assistant picks up
 * the promoted adapter with its next answer). A run killed half-way is continued by running the command again.
 */
@Command(name = "update", mixinStandardHelpOptions = true,
        description = "Update a user's adapter from their recent chats (curate, replay, train, evaluate, promote if better).")
public final class UpdateCommand implements Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--now", description = "Run the update here and now (without it, queue it for the running assistant).") boolean now;
    @Option(names = "--user", paramLabel = "NAME", description = "Whose adapter (may be left out when there is one user).") String user;
    @Option(names = "--all", description = "Every user, one after another (what the nightly timer runs).") boolean all;
    @Option(names = "--model", paramLabel = "BASE.gguf", description = "Base model (default: the model serve would use).") Path model;
    @Option(names = "--replay", paramLabel = "RATIO", defaultValue = "0.01", description = "Share of earlier examples replayed (default ${DEFAULT-VALUE}).") double replay;
    @Option(names = "--replay-min", defaultValue = "8", description = "Replay at least this many earlier examples (default ${DEFAULT-VALUE}).") int replayMin;
    @Option(names = "--anchor", defaultValue = "0", description = "L2 pull toward the previous adapter (default ${DEFAULT-VALUE} = off).") float anchor;
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank (default ${DEFAULT-VALUE}; alpha = 2 x rank).") int rank;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).") float lr;
    @Option(names = "--epochs", defaultValue = "0", description = "Passes over the day's data; 0 (default) chooses from its size: 3 below 4k tokens, 2 below 16k, else 1.") int epochs;
    @Option(names = "--threads", defaultValue = "0", description = "CPU threads for training (default: all cores).") int threads;

    @Override
    public Integer call() throws Exception {
        Path dataDir = common.dataDir();
        AssistantConfig config = ConfigLoader.load(dataDir, Map.of());
        UpdateSettings settings;
        try {
            settings = UpdateSettings.defaults().withSystemPrompt(config.systemPrompt()).withReplay(replay, replayMin).withAnchor(anchor)
                    .withThreads(threads).withTraining(rank, lr, epochs);
        } catch (IllegalArgumentException e) {
            throw new UserFacingException(e.getMessage());
        }
        try (Database db = Database.open(config.databaseFile())) {
            if (all) {
                if (user != null) throw new UserFacingException("give --user NAME or --all, not both");
                int failed = 0;
                for (Users.User each : Users.list(db)) {
                    System.out.println("== " + each.name());
                    try {
                        runFor(db, each, dataDir, config, settings);
                    } catch (UserFacingException e) {
                        failed++;
                        System.err.println(each.name() + ": " + e.getMessage());
                    }
                }
                if (failed > 0) throw new UserFacingException(failed + " user(s) could not be updated (see above)");
                return 0;
            }
            return runFor(db, UserOption.resolve(db, user), dataDir, config, settings);
        }
    }

    private int runFor(Database db, Users.User u, Path dataDir, AssistantConfig config, UpdateSettings settings) throws Exception {
        {
            UpdateJobStore jobs = new UpdateJobStore(db);
            if (!now) {
                UpdateJob job = jobs.enqueue(u.id(), UpdateJob.Origin.MANUAL);
                System.out.println("queued update job " + job.id() + " for " + u.name() + "; the running assistant starts it within a minute"
                        + " (or run: ./lifelong update --now)");
                return 0;
            }
            Path base = resolveBase(dataDir, config);
            Optional<UpdateJob> open = jobs.list(u.id(), 1).stream().filter(UpdateJob::active).findFirst();
            UpdateJob job;
            if (open.isPresent()) {
                job = jobs.restart(open.get().id());
                System.err.println("continuing update job " + job.id() + " (attempt " + job.attempts() + ")");
            } else {
                job = jobs.startNow(u.id(), UpdateJob.Origin.MANUAL);
            }
            TrainingProgressBar bar = new TrainingProgressBar(System.err, System.console() != null);
            long jobId = job.id();
            UpdateOutcome outcome;
            try {
                outcome = new LifelongUpdate(db, dataDir, base, settings).run(u.id(), jobId, new UpdateListener() {
                    @Override
                    public void phase(String phase) {
                        jobs.phase(jobId, phase);
                        if (!phase.equals("training")) bar.finish();
                        System.err.println("· " + phase);
                    }

                    @Override
                    public void training(TrainingProgress p) {
                        bar.onProgress(p);
                    }

                    private int lastPercent = -1;

                    @Override
                    public void evaluation(long done, long total) {
                        int percent = total <= 0 ? 100 : (int) (100 * done / total);
                        if (percent / 10 != lastPercent / 10 || done == total) {
                            System.err.println("  evaluated " + percent + "%");
                            lastPercent = percent;
                        }
                    }
                });
            } catch (LifelongUpdate.UpdateException e) {
                bar.finish();
                if (e.getMessage().startsWith("another update")) throw new UserFacingException(e.getMessage() + " (job " + jobId + ")");
                jobs.failed(jobId, e.getMessage(), null);
                throw new UserFacingException("update failed: " + e.getMessage());
            } catch (RuntimeException e) {
                bar.finish();
                jobs.failed(jobId, String.valueOf(e.getMessage()), null);
                throw e;
            }
            jobs.succeeded(jobId, outcome.version() == null ? null : outcome.version().id());
            if (outcome.version() == null) {
                System.out.println(outcome.summary());
            } else {
                System.out.println("v" + outcome.version().version() + " " + outcome.summary());
                String plain = dev.lifelong.assistant.update.UpdateService.plain(outcome);
                if (!plain.equals(outcome.summary())) System.out.println(plain);
            }
            return 0;
        }
    }

    private Path resolveBase(Path dataDir, AssistantConfig config) {
        if (model != null) {
            dev.lifelong.assistant.model.ModelFiles.check(model);
            return model.toAbsolutePath();
        }
        return defaultModel(dataDir);
    }

    /** The model serve would use on this data folder; throws a user-facing error when there is none. */
    static Path defaultModel(Path dataDir) {
        Path p = defaultModelOrNull(dataDir);
        if (p == null) throw new UserFacingException("no base model: pass --model BASE.gguf or pull one (./lifelong models list)");
        return p;
    }

    static Path defaultModelOrNull(Path dataDir) {
        AssistantConfig config = dev.lifelong.assistant.config.ConfigLoader.load(dataDir, java.util.Map.of());
        return ModelResolver.resolve(config.model(), new ModelStore(dataDir), ModelResolver.home().resolve(ModelResolver.SEEDLING))
                .map(ModelResolver.Choice::path).orElse(null);
    }
}
