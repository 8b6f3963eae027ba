package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.app.ModelResolver;
import dev.lifelong.assistant.config.AssistantConfig;
import dev.lifelong.assistant.config.ConfigException;
import dev.lifelong.assistant.config.ConfigLoader;
import dev.lifelong.assistant.model.ModelFiles;
import dev.lifelong.assistant.runtime.NativeRuntimeInfo;
import dev.lifelong.gguf.ModelInfo;
import dev.lifelong.installer.models.ModelStore;
import dev.lifelong.memory.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Checks everything the assistant needs and says, for each problem, how to fix it. Exit code 1 if any problem. */
@Command(name = "doctor", mixinStandardHelpOptions = true, description = "Check this machine, the data dir and the model.")
public final class DoctorCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin CommonOptions common = new CommonOptions();
    @Option(names = "--model", paramLabel = "FILE", description = "Check this GGUF instead of the configured one.") Path model;

    /** One line of the report. */
    record Check(String name, boolean ok, String detail, String fix) {
        String line() {
            return String.format("%-8s %-14s %s%s", ok ? "OK" : "PROBLEM", name, detail, ok || fix == null ? "" : "\n" + " ".repeat(24) + "fix: " + fix);
        }
    }

    @Override
    public Integer call() {
        List<Check> checks = run(common.dataDir(), model);
        checks.forEach(c -> System.out.println(c.line()));
        long problems = checks.stream().filter(c -> !c.ok()).count();
        System.out.println(problems == 0 ? "\nAll checks passed." : "\n" + problems + " problem(s) found.");
        return problems == 0 ? 0 : 1;
    }

    static List<Check> run(Path dataDir, Path modelFlag) {
        List<Check> out = new ArrayList<>();
        int feature = Runtime.version().feature();
        out.add(new Check("JDK", feature >= 21, "Java " + Runtime.version() + " at " + System.getProperty("java.home"),
                "install a JDK 21 or newer and point JAVA_HOME at it"));

        List<String> flags = cpuFlags();
        int cores = Runtime.getRuntime().availableProcessors();
        boolean avx2 = flags.contains("avx2");
        String arch = System.getProperty("os.arch");
        boolean x86 = arch.contains("64") && (arch.contains("amd") || arch.contains("x86"));
        out.add(new Check("CPU", !x86 || flags.isEmpty() || avx2, cores + " cores, " + arch
                + (flags.isEmpty() ? "" : ", features: " + String.join(" ", flags.stream().filter(f -> List.of("avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "avx_vnni").contains(f)).toList())),
                "this CPU lacks AVX2; llama.cpp will run, but several times slower"));

        AssistantConfig config = null;
        try {
            config = ConfigLoader.load(dataDir, Map.of());
            out.add(new Check("config", true, Files.exists(dataDir.resolve(AssistantConfig.FILE_NAME))
                    ? dataDir.resolve(AssistantConfig.FILE_NAME).toString() : "defaults (no config file yet)", null));
        } catch (ConfigException e) {
            out.add(new Check("config", false, e.getMessage(), "edit " + dataDir.resolve(AssistantConfig.FILE_NAME)));
        }
        if (config != null) {
            out.add(new Check("threads", config.threads() <= cores, config.threads() + " of " + cores + " cores",
                    "set threads to at most " + cores + " (more threads than cores slows llama.cpp down)"));
        }

        out.add(dataDirCheck(dataDir));
        if (Files.isDirectory(dataDir) && Files.exists(dataDir.resolve("lifelong.db"))) {
            try (Database db = Database.open(dataDir.resolve("lifelong.db"))) {
                out.add(new Check("database", true, db.file() + " (schema version " + db.schemaVersion() + ")", null));
            } catch (RuntimeException e) {
                out.add(new Check("database", false, e.getMessage(), "move the file aside and restart; Lifelong creates a new one"));
            }
        }

        Path seedling = ModelResolver.home().resolve(ModelResolver.SEEDLING);
        Path configured = modelFlag != null ? modelFlag.toAbsolutePath() : config == null ? null : config.model();
        Optional<ModelResolver.Choice> choice = ModelResolver.resolve(configured, new ModelStore(dataDir), seedling);
        if (choice.isEmpty()) {
            out.add(new Check("model", false, "no model configured and no seedling at " + seedling,
                    "./lifelong models pull qwen2.5-0.5b-instruct-q4_k_m, or --model /path/to/model.gguf"));
        } else {
            Path p = choice.get().path();
            try {
                ModelInfo info = ModelFiles.check(p);
                out.add(new Check("model", true, p + " (" + choice.get().source() + ")", null));
                out.add(new Check("model info", true, String.format("%s, arch %s, %.1fM parameters, %s, context %d, %d layers, vocab %d, chat template %s",
                        info.name(), info.architecture(), info.parameterCount() / 1e6, info.fileTypeLabel(), info.contextLength(),
                        info.blockCount(), info.vocabSize(), info.hasChatTemplate() ? "yes" : "no (ChatML fallback)"), null));
                dev.lifelong.loop.TrainingReport report = dev.lifelong.loop.TrainingReport.of(p,
                        dev.lifelong.loop.UpdateSettings.defaults());
                long free = dev.lifelong.lora.MemoryPlan.availableMemory();
                out.add(new Check("training", report.refusal(free).isEmpty(), report.sentence(free),
                        report.trainable() ? "close other programs, or choose a smaller model (./lifelong models list)"
                                : "serving works; for nightly learning choose a llama or qwen2 model (./lifelong models list)"));
            } catch (RuntimeException e) {
                out.add(new Check("model", false, e.getMessage(), "download it again or choose another with --model FILE"));
            }
        }

        NativeRuntimeInfo nat = NativeRuntimeInfo.detect();
        out.add(new Check("native", nat.libraryFound(), nat.description(),
                "this platform has no native library in de.kherud:llama 4.2.0"));
        boolean gpuWanted = config != null && config.gpuLayers() > 0;
        out.add(new Check("GPU", !gpuWanted || nat.hasGpuBackend(),
                nat.hasGpuBackend() ? "GPU backend: " + String.join(", ", nat.gpuBackends())
                        : "none: the native runtime is CPU-only" + (gpuWanted ? ", but gpu-layers is " + config.gpuLayers() : " (gpu-layers 0, fine)"),
                "set gpu-layers=0, or build java-llama.cpp with -DGGML_CUDA=ON and pass -Dde.kherud.llama.lib.path=DIR"));
        return out;
    }

    private static Check dataDirCheck(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            Path probe = Files.createTempFile(dataDir, "doctor", ".tmp");
            Files.delete(probe);
            long free = Files.getFileStore(dataDir).getUsableSpace();
            boolean enough = free > 2L * 1024 * 1024 * 1024;
            return new Check("data dir", enough, dataDir + " (writable, " + free / (1024 * 1024 * 1024) + " GiB free)",
                    "free some disk space: models and adapters need a few GiB");
        } catch (IOException e) {
            return new Check("data dir", false, dataDir + " is not writable: " + e.getMessage(),
                    "choose another with --data DIR or LIFELONG_HOME");
        }
    }

    static List<String> cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) return List.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: no flags to report
        }
        return List.of();
    }
}
