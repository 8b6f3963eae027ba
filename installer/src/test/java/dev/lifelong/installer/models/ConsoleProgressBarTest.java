package dev.lifelong.installer.models;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ConsoleProgressBarTest {

    private static final long MIB = 1024 * 1024;

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong();

    private String output() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void notATerminalPrintsOneLinePerTenPercent() {
        ConsoleProgressBar bar = new ConsoleProgressBar(out, false, clock::get);
        long total = 100 * MIB;
        for (long done = 0; done <= total; done += MIB / 2) {
            clock.addAndGet(50_000_000L); // 0.5 MiB per 50 ms = 10 MiB/s
            bar.onProgress(done, total);
        }

        String[] lines = output().split("\n");
        assertThat(lines).hasSize(10);
        assertThat(lines[0]).startsWith("downloaded 10% (10.0/100.0 MiB, 10.0 MiB/s)");
        assertThat(lines[9]).startsWith("downloaded 100% (100.0/100.0 MiB");
        assertThat(output()).doesNotContain("\r");
    }

    @Test
    void terminalRedrawsOneLineWithPercentSpeedAndEta() {
        ConsoleProgressBar bar = new ConsoleProgressBar(out, true, clock::get);
        long total = 40 * MIB;
        bar.onProgress(0, total);
        clock.addAndGet(1_000_000_000L);
        bar.onProgress(10 * MIB, total); // 10 MiB/s, 30 MiB left: 3 s

        assertThat(output()).contains("\r[");
        assertThat(output()).contains(" 25%  10.0/40.0 MiB  10.0 MiB/s  ETA 0:03");
        assertThat(output()).doesNotContain("\n");

        clock.addAndGet(3_000_000_000L);
        bar.onProgress(total, total);
        assertThat(output()).contains("100%  40.0/40.0 MiB").endsWith("\n");
        assertThat(output().chars().filter(c -> c == '\n').count()).isEqualTo(1);
    }

    @Test
    void terminalThrottlesRedraws() {
        ConsoleProgressBar bar = new ConsoleProgressBar(out, true, clock::get);
        for (int i = 0; i < 1000; i++) {
            clock.addAndGet(1_000_000L); // 1 ms apart: 1 s in all
            bar.onProgress(i * 1024L, 10 * MIB);
        }

        long redraws = output().chars().filter(c -> c == '\r').count();
        assertThat(redraws).isBetween(5L, 12L);
    }

    @Test
    void messagesStartOnAFreshLine() {
        ConsoleProgressBar bar = new ConsoleProgressBar(out, true, clock::get);
        bar.onProgress(MIB, 10 * MIB);
        bar.onMessage("retrying in 1000 ms");

        assertThat(output()).endsWith("\nretrying in 1000 ms" + System.lineSeparator());
    }

    @Test
    void unknownTotalShowsBytesOnly() {
        ConsoleProgressBar bar = new ConsoleProgressBar(out, false, clock::get);
        for (long done = 0; done <= 120 * MIB; done += MIB) {
            bar.onProgress(done, -1);
        }

        assertThat(output().split("\n")).containsExactly("downloaded 50.0 MiB", "downloaded 100.0 MiB");
    }
}
