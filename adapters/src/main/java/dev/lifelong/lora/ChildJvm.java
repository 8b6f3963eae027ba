package dev.lifelong.lora;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a PyTorch child process (training, evaluation): this JVM's java and class path, the memory
 * limits of its {@link MemoryPlan}, and an environment that keeps results reproducible. The child inherits the whole
 * environment of the parent, and the parent's engine system properties ({@link #FORWARDED_PROPERTY_PREFIXES}), so
 * engine settings a user gives DJL/PyTorch either way ({@code PYTORCH_FLAVOR=cu124}, {@code -DPYTORCH_FLAVOR=cu124},
 * {@code PYTORCH_LIBRARY_PATH}, {@code -Dai.djl.offline=true}, {@code OMP_NUM_THREADS}) reach the trainer and the
 * evaluator unchanged.
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
        cmd.addAll(forwardedProperties());
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

    /** DJL reads its engine settings from the environment or from system properties of these names. */
    static final List<String> FORWARDED_PROPERTY_PREFIXES = List.of("ai.djl.", "PYTORCH_", "OMP_", "MKL_");

    /** {@code -Dname=value} for the parent's engine system properties. */
    static List<String> forwardedProperties() {
        List<String> out = new ArrayList<>();
        for (String name : System.getProperties().stringPropertyNames().stream().sorted().toList()) {
            if (FORWARDED_PROPERTY_PREFIXES.stream().anyMatch(name::startsWith)) {
                out.add("-D" + name + "=" + System.getProperty(name));
            }
        }
        return out;
    }

    static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
