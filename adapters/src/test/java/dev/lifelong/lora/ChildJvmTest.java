package dev.lifelong.lora;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A child process reports the engine settings it received: what a user sets for DJL reaches the trainer. */
class ChildJvmTest {
    /** Prints the named system properties and environment variables, one {@code name=value} per line. */
    public static final class Report {
        public static void main(String[] names) {
            for (String n : names) {
                System.out.println("property " + n + "=" + System.getProperty(n));
                System.out.println("env " + n + "=" + System.getenv(n));
            }
        }
    }

    @Test
    void engineSettingsReachTheChildAsPropertiesAndEnvironment() throws Exception {
        String before = System.getProperty("PYTORCH_FLAVOR");
        System.setProperty("PYTORCH_FLAVOR", "cu124-test");
        System.setProperty("ai.djl.lifelong.test", "yes");
        System.setProperty("unrelated.lifelong.test", "no");
        try {
            MemoryPlan plan = new MemoryPlan("test", 0, 0, 64L << 20, 16L << 20);
            ProcessBuilder pb = ChildJvm.builder(plan, Report.class, "PYTORCH_FLAVOR", "ai.djl.lifelong.test",
                    "unrelated.lifelong.test", "LIFELONG_CHILD_ENV_TEST", "MKL_CBWR");
            pb.environment().put("LIFELONG_CHILD_ENV_TEST", "from-env");
            String out = run(pb);
            assertThat(out).contains("property PYTORCH_FLAVOR=cu124-test", "property ai.djl.lifelong.test=yes",
                    "property unrelated.lifelong.test=null", "env LIFELONG_CHILD_ENV_TEST=from-env",
                    "env MKL_CBWR=AUTO,STRICT");
            assertThat(pb.command()).contains("-Xmx64m", "-XX:MaxDirectMemorySize=16m");
        } finally {
            if (before == null) System.clearProperty("PYTORCH_FLAVOR");
            else System.setProperty("PYTORCH_FLAVOR", before);
            System.clearProperty("ai.djl.lifelong.test");
            System.clearProperty("unrelated.lifelong.test");
        }
    }

    private static String run(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
