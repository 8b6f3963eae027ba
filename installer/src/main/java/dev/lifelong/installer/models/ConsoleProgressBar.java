package dev.lifelong.installer.models;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Shows download progress. On a terminal: one line redrawn in place with {@code \r} (bar, percent, MiB, speed,
 * ETA). Elsewhere (logs, pipes, CI): one plain line per 10%, so log files stay readable.
 */
public final class ConsoleProgressBar implements ProgressListener {

    private static final int BAR_WIDTH = 30;
    private static final long REDRAW_INTERVAL_NANOS = 100_000_000L;
    private static final long UNKNOWN_TOTAL_STEP = 50L * 1024 * 1024;

    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier nanoClock;

    private long startNanos = -1;
    private long startBytes;
    private long lastDrawNanos;
    private int lastDecile = -1;
    private long lastStepBytes;
    private boolean lineOpen;
    private boolean finished;

    /** Interactive when this JVM is attached to a console. */
    public ConsoleProgressBar(PrintStream out) {
        this(out, System.console() != null);
    }

    public ConsoleProgressBar(PrintStream out, boolean interactive) {
        this(out, interactive, System::nanoTime);
    }

    ConsoleProgressBar(PrintStream out, boolean interactive, LongSupplier nanoClock) {
        this.out = Objects.requireNonNull(out, "out");
        this.interactive = interactive;
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    @Override
    public synchronized void onProgress(long bytesDone, long totalBytes) {
        long now = nanoClock.getAsLong();
        if (startNanos < 0 || bytesDone < startBytes) {
            // First call, or the download restarted from scratch: measure speed from here.
            startNanos = now;
            startBytes = bytesDone;
            lastDecile = totalBytes > 0 ? decile(bytesDone, totalBytes) - 1 : -1;
            lastStepBytes = bytesDone;
            finished = false;
        }
        boolean complete = totalBytes > 0 && bytesDone >= totalBytes;
        if (interactive) {
            drawBar(bytesDone, totalBytes, now, complete);
        } else {
            printLine(bytesDone, totalBytes, now);
        }
    }

    @Override
    public synchronized void onMessage(String line) {
        if (lineOpen) {
            out.println();
            lineOpen = false;
        }
        out.println(line);
        out.flush();
    }

    private void drawBar(long done, long total, long now, boolean complete) {
        if (finished || (!complete && lineOpen && now - lastDrawNanos < REDRAW_INTERVAL_NANOS)) {
            return;
        }
        lastDrawNanos = now;
        StringBuilder line = new StringBuilder("\r");
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            line.append('[').append("#".repeat(filled)).append(".".repeat(BAR_WIDTH - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%  %s/%s MiB", (int) Math.floor(fraction * 100),
                            mib(done), mib(total)));
        } else {
            line.append(mib(done)).append(" MiB");
        }
        double speed = speed(done, now);
        line.append(String.format(Locale.ROOT, "  %.1f MiB/s", speed / (1024 * 1024)));
        if (total > 0 && !complete) {
            line.append("  ETA ").append(speed > 0 ? duration((long) ((total - done) / speed)) : "--:--");
        }
        line.append("   "); // wipes leftovers of a longer previous line
        out.print(line);
        lineOpen = true;
        if (complete) {
            out.println();
            lineOpen = false;
            finished = true;
        }
        out.flush();
    }

    private void printLine(long done, long total, long now) {
        if (total > 0) {
            int decile = decile(done, total);
            if (decile <= lastDecile || decile == 0) {
                return;
            }
            lastDecile = decile;
            out.println(String.format(Locale.ROOT, "downloaded %d%% (%s/%s MiB, %.1f MiB/s)", decile * 10,
                    mib(done), mib(total), speed(done, now) / (1024 * 1024)));
        } else {
            if (done - lastStepBytes < UNKNOWN_TOTAL_STEP) {
                return;
            }
            lastStepBytes = done;
            out.println(String.format(Locale.ROOT, "downloaded %s MiB", mib(done)));
        }
        out.flush();
    }

    private static int decile(long done, long total) {
        return (int) Math.min(10, done * 10 / total);
    }

    private double speed(long done, long now) {
        double seconds = (now - startNanos) / 1e9;
        return seconds <= 0 ? 0 : (done - startBytes) / seconds;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / (1024.0 * 1024.0));
    }

    private static String duration(long seconds) {
        return seconds >= 3600
                ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }
}
