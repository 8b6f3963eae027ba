package dev.lifelong.assistant.cli;

import dev.lifelong.lora.TrainingListener;
import dev.lifelong.lora.TrainingProgress;

import java.io.PrintStream;
import java.util.Locale;

/** Training progress on the console: one redrawn line on a terminal, a line per ~5% otherwise. */
final class TrainingProgressBar implements TrainingListener {
    private final PrintStream out;
    private final boolean interactive;
    private int lastPercentPrinted = -1;
    private boolean drew;

    TrainingProgressBar(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    @Override
    public void onProgress(TrainingProgress p) {
        int percent = p.totalSteps() == 0 ? 100 : (int) (100L * p.step() / p.totalSteps());
        String line = String.format(Locale.ROOT, "%s %3d%%  step %d/%d  loss %.4f  %.0f tok/s  ETA %s",
                bar(percent), percent, p.step(), p.totalSteps(), p.loss(), p.tokensPerSecond(), eta(p.etaSeconds()));
        if (interactive) {
            out.print("\r" + line);
            drew = true;
        } else if (percent / 5 != lastPercentPrinted / 5 || p.step() == p.totalSteps()) {
            out.println(line);
            lastPercentPrinted = percent;
        }
        out.flush();
    }

    void finish() {
        if (drew) out.println();
        drew = false;
        out.flush();
    }

    static String bar(int percent) {
        int filled = Math.max(0, Math.min(20, percent / 5));
        return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "]";
    }

    static String eta(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "--";
        long s = Math.round(seconds);
        return s < 60 ? s + "s" : s < 3600 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : (s / 3600) + "h" + String.format("%02d", (s % 3600) / 60) + "m";
    }
}
