package dev.lifelong.lora;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a PyTorch child process (training, evaluation): this JVM's java and class path, the memory
 * limits of its {@link MemoryPlan}, and an environment that keeps results reproducible. The child inherits the whole
 * environment of the parent, so engine settings a user sets for DJL/PyTorch ({@code PYTORCH_FLAVOR},
 * {@code PYTORCH_LIBRARY_PATH}, {@code OMP_NUM_THREADS}, ...) reach it unchanged.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /** {@code java --enable-native-access=ALL-UNNAMED <plan's -Xmx/-XX:MaxDirectMemorySize> -cp CP mainClass args}. */
    public static ProcessBuilder builder(MemoryPlan plan, Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(plan.jvmOptions());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        // MKL picks kernels at run time; under CPU load two identical runs differed in the last bits (and a resumed
        // run drifted from the uninterrupted one). Strict conditional numerical reproducibility keeps the fast path
        // and makes results the same run after run (verified under load).
        pb.environment().putIfAbsent("MKL_CBWR", "AUTO,STRICT");
        return pb;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
