package dev.lifelong.assistant.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** The learning benchmark's Markdown table and PNG charts (drawn with java.awt, headless). */
final class LearningReport {
    private static final Color[] COLORS = {new Color(0x4063c2), new Color(0xc0563a), new Color(0x2f8f5b), new Color(0x9a5fb4),
            new Color(0xc49a1a), new Color(0x555555), new Color(0x1a9aa8), new Color(0xd0609a)};

    private LearningReport() {
    }

    /** Redraws the table and charts from a saved report: {@code LearningReport DIR/learning-report.json OUT_DIR}. */
    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws IOException {
        Map<String, Object> report = new com.fasterxml.jackson.databind.ObjectMapper().readValue(Path.of(args[0]).toFile(), Map.class);
        List<Map<String, Object>> results = (List<Map<String, Object>>) report.get("variants");
        for (Map<String, Object> r : results) {
            for (String k : List.of("replayRatio", "anchor", "acc", "bwt", "fwt", "forgetting", "closedBookFinal", "withMemoryFinal",
                    "generalChangeFinal", "baseAnswerTokens")) {
                if (r.get(k) instanceof Number n) r.put(k, n.doubleValue());
            }
            r.put("answerTokens", ((List<Number>) r.get("answerTokens")).stream().map(Number::doubleValue).toList());
            r.put("closedBookSeen", ((List<Number>) r.get("closedBookSeen")).stream().map(n -> n == null ? Double.NaN : n.doubleValue()).toList());
            r.put("withMemorySeen", ((List<Number>) r.get("withMemorySeen")).stream().map(n -> n == null ? Double.NaN : n.doubleValue()).toList());
        }
        Path out = Path.of(args[1]);
        java.nio.file.Files.writeString(out.resolve("learning.md"), markdown(results, (Integer) report.get("days"), (Boolean) report.get("quick")));
        accuracyChart(results, out.resolve("learning-accuracy.png"));
        forgettingChart(results, out.resolve("learning-forgetting.png"));
    }

    static String markdown(List<Map<String, Object>> results, int days, boolean quick) {
        StringBuilder b = new StringBuilder();
        b.append("# Learning benchmark").append(quick ? " (quick: tiny random model, pipeline check only)" : "").append("\n\n");
        b.append(String.format(Locale.ROOT, "%d simulated days. Closed-book = memory off, the adapter alone; with memory = the memory "
                + "block in the prompt. ACC/BWT/FWT/forgetting from the closed-book matrix R[day][day the fact was told].%n%n", days));
        b.append("| variant | replay | anchor | fact variants | self-replay | closed-book, last day | closed-book, asked in other words | with memory, last day | ACC | BWT | FWT | forgetting | general probe vs base | answer tokens (base) | promoted nights |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Map<String, Object> r : results) {
            @SuppressWarnings("unchecked") List<String> verdicts = (List<String>) r.get("verdicts");
            @SuppressWarnings("unchecked") List<Double> tokens = (List<Double>) r.get("answerTokens");
            long promoted = verdicts.stream().filter(v -> v.startsWith("promoted")).count();
            boolean train = (Boolean) r.get("train");
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f (%.1f) | %s |%n", r.get("variant"),
                    train ? pct((Double) r.get("replayRatio")) + (((Integer) r.get("replayMinimum")) > 0 ? ", ≥ " + r.get("replayMinimum") : "") : "–",
                    train ? r.get("anchor") : "–", train ? (Boolean.TRUE.equals(r.get("factVariants")) ? "yes" : "no") : "–",
                    train ? r.get("selfReplay") : "–", pct((Double) r.get("closedBookFinal")),
                    pct((Double) r.get("closedBookNaturalFinal")), pct((Double) r.get("withMemoryFinal")),
                    num((Double) r.get("acc")), num((Double) r.get("bwt")), num((Double) r.get("fwt")), num((Double) r.get("forgetting")),
                    signedPct((Double) r.get("generalChangeFinal")), tokens.getLast(), (Double) r.get("baseAnswerTokens"),
                    (Boolean) r.get("train") ? promoted + " of " + verdicts.size() : "–"));
        }
        b.append("\nGoals (issue 6): closed-book ≥ 80% and with memory ≥ 95% on the last day, general probe within +2% of the base, "
                + "replay 1% forgetting below replay 0%.\n");
        return b.toString();
    }

    private static String pct(Double x) {
        return x == null || x.isNaN() ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * x);
    }

    private static String signedPct(Double x) {
        return x == null || x.isNaN() ? "–" : String.format(Locale.ROOT, "%+.2f%%", 100 * x);
    }

    private static String num(Double x) {
        return x == null || x.isNaN() ? "–" : String.format(Locale.ROOT, "%+.2f", x);
    }

    /** Closed-book (solid) and with-memory (dashed) accuracy on the facts seen so far, per day and variant. */
    @SuppressWarnings("unchecked")
    static void accuracyChart(List<Map<String, Object>> results, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 1000;
        int h = 500;
        int left = 70;
        int right = 300;
        int top = 40;
        int bottom = 60;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, "Accuracy on the facts told so far (solid: closed-book, dashed: with memory)");
        int days = ((List<Double>) results.getFirst().get("closedBookSeen")).size();
        axes(g, left, top, w - right, h - bottom, days);
        for (int v = 0; v < results.size(); v++) {
            Map<String, Object> r = results.get(v);
            g.setColor(COLORS[v % COLORS.length]);
            line(g, (List<Double>) r.get("closedBookSeen"), left, top, w - right, h - bottom, new BasicStroke(2.5f));
            line(g, (List<Double>) r.get("withMemorySeen"), left, top, w - right, h - bottom,
                    new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 5}, 0));
            g.fillRect(w - right + 20, top + 10 + v * 22, 14, 4);
            g.setColor(Color.DARK_GRAY);
            g.drawString((String) r.get("variant"), w - right + 40, top + 16 + v * 22);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    /** Forgetting (Chaudhry) and −BWT per variant, as bars. */
    static void forgettingChart(List<Map<String, Object>> results, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 900;
        int h = 420;
        int left = 70;
        int top = 40;
        int bottom = 80;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, "Forgetting per variant (bars: Chaudhry forgetting; line mark: −BWT)");
        double max = 0.05;
        for (Map<String, Object> r : results) {
            max = Math.max(max, Math.abs((Double) r.get("forgetting")));
            max = Math.max(max, Math.abs((Double) r.get("bwt")));
        }
        int plotH = h - top - bottom;
        int zeroY = top + plotH / 2;
        g.setColor(Color.GRAY);
        g.drawLine(left, zeroY, w - 20, zeroY);
        g.drawString(String.format(Locale.ROOT, "%.2f", max), 10, top + 5);
        g.drawString("0", 10, zeroY + 5);
        g.drawString(String.format(Locale.ROOT, "%.2f", -max), 10, top + plotH + 5);
        int slot = (w - left - 20) / results.size();
        for (int v = 0; v < results.size(); v++) {
            Map<String, Object> r = results.get(v);
            double f = (Double) r.get("forgetting");
            double nb = -(Double) r.get("bwt");
            int x = left + v * slot + slot / 4;
            int barH = (int) Math.round(Math.abs(f) / max * plotH / 2);
            g.setColor(COLORS[v % COLORS.length]);
            g.fillRect(x, f >= 0 ? zeroY - barH : zeroY, slot / 2, Math.max(1, barH));
            int markY = zeroY - (int) Math.round(nb / max * plotH / 2);
            g.setColor(Color.BLACK);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(x - 4, markY, x + slot / 2 + 4, markY);
            g.setColor(Color.DARK_GRAY);
            g.drawString((String) r.get("variant"), x - 10, h - bottom + 25);
            g.drawString(String.format(Locale.ROOT, "%.2f", f), x, h - bottom + 45);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static Graphics2D canvas(BufferedImage img, String title) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, 20, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        return g;
    }

    private static void axes(Graphics2D g, int x0, int y0, int x1, int y1, int days) {
        g.setColor(Color.GRAY);
        g.drawLine(x0, y1, x1, y1);
        g.drawLine(x0, y0, x0, y1);
        for (int p = 0; p <= 100; p += 25) {
            int y = y1 - (y1 - y0) * p / 100;
            g.drawString(p + "%", x0 - 40, y + 5);
            g.setColor(new Color(0xdddddd));
            g.drawLine(x0 + 1, y, x1, y);
            g.setColor(Color.GRAY);
        }
        for (int d = 0; d < days; d++) g.drawString("day " + (d + 1), xAt(d, days, x0, x1) - 15, y1 + 20);
    }

    private static int xAt(int d, int days, int x0, int x1) {
        return days <= 1 ? (x0 + x1) / 2 : x0 + 20 + (x1 - x0 - 40) * d / (days - 1);
    }

    private static void line(Graphics2D g, List<Double> ys, int x0, int y0, int x1, int y1, BasicStroke stroke) {
        g.setStroke(stroke);
        int px = -1;
        int py = -1;
        for (int d = 0; d < ys.size(); d++) {
            Double v = ys.get(d);
            if (v == null || v.isNaN()) continue;
            int x = xAt(d, ys.size(), x0, x1);
            int y = y1 - (int) Math.round((y1 - y0) * v);
            if (px >= 0) g.drawLine(px, py, x, y);
            g.fillOval(x - 3, y - 3, 6, 6);
            px = x;
            py = y;
        }
    }
}
