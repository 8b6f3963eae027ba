package dev.lifelong.assistant.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a benchmark ran on, recorded with every figure. */
public final class MachineInfo {
    private MachineInfo() {}

    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_gib", Math.round(totalMemoryGib() * 10) / 10.0);
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        m.put("llama_cpp", "b4916 (de.kherud:llama 4.2.0, CPU)");
        return m;
    }

    /**
     * The 1-minute load average (-1 where the OS does not say). Recorded before and after each recorded run: on a
     * 2-core machine anything well above 0 means another process competed for the cores and the figures are not
     * the machine's.
     */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (Exception ignored) {
            java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            return os.getSystemLoadAverage() < 0 ? -1 : os.getSystemLoadAverage();
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return System.getProperty("os.arch");
    }

    private static double totalMemoryGib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("\\D+", "")) / 1024.0 / 1024.0;
            }
        } catch (Exception ignored) {
            // not Linux
        }
        return 0;
    }
}
