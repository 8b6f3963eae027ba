package dev.lifelong.lora.data;

import java.nio.file.Path;
import java.util.List;

/** A training-data file that cannot be used, with every problem found in it. */
public final class DatasetException extends RuntimeException {
    static final int LISTED = 20;

    /** A problem on a line (1-based; 0 for the file as a whole). */
    public record Problem(int line, String reason) {
        @Override
        public String toString() {
            return line > 0 ? "line " + line + ": " + reason : reason;
        }
    }

    private final transient Path file;
    private final List<Problem> problems;

    public DatasetException(Path file, List<Problem> problems) {
        super(message(file, problems));
        this.file = file;
        this.problems = List.copyOf(problems);
    }

    public Path file() { return file; }

    public List<Problem> problems() { return problems; }

    private static String message(Path file, List<Problem> problems) {
        StringBuilder m = new StringBuilder();
        m.append(file).append(": ").append(problems.size()).append(problems.size() == 1 ? " problem" : " problems");
        for (int i = 0; i < Math.min(LISTED, problems.size()); i++) {
            m.append("\n  ").append(problems.get(i));
        }
        if (problems.size() > LISTED) {
            m.append("\n  and ").append(problems.size() - LISTED).append(" more");
        }
        return m.toString();
    }
}
