package dev.lifelong.seedling.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.Turn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the corpus in the training format read by {@link dev.lifelong.lora.data.ExampleReader}, and the evaluation
 * set as JSON Lines; both through a temp file that is fsynced and atomically renamed. Output is UTF-8, "\n" line ends,
 * fields in a fixed order, so the same conversations always give the same bytes.
 */
public final class CorpusFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusFiles() {}

    public static String toJsonLine(ChatExample example) {
        ObjectNode root = JSON.createObjectNode();
        root.set("messages", messages(example.messages()));
        root.put("weight", example.weight());
        return root.toString();
    }

    public static String toJsonLine(EvalCase c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", c.id());
        root.put("kind", c.kind().name());
        root.put("language", c.language().name());
        root.set("messages", messages(c.prompt()));
        if (c.expectedSubstring() != null) root.put("expected_substring", c.expectedSubstring());
        if (c.expectedJson() != null) root.put("expected_json", c.expectedJson());
        root.put("expect_abstention", c.expectAbstention());
        return root.toString();
    }

    public static EvalCase parseEvalCase(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            List<Turn> prompt = new ArrayList<>();
            for (JsonNode m : n.get("messages")) prompt.add(new Turn(m.get("role").asText(), m.get("content").asText()));
            return new EvalCase(n.get("id").asText(), Kind.valueOf(n.get("kind").asText()),
                    Language.valueOf(n.get("language").asText()), prompt,
                    n.hasNonNull("expected_substring") ? n.get("expected_substring").asText() : null,
                    n.hasNonNull("expected_json") ? n.get("expected_json").asText() : null,
                    n.get("expect_abstention").asBoolean());
        } catch (IOException | NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException("bad eval case line: " + e.getMessage(), e);
        }
    }

    public static List<EvalCase> readEval(Path jsonl) {
        try {
            List<EvalCase> out = new ArrayList<>();
            for (String line : Files.readAllLines(jsonl, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) out.add(parseEvalCase(line));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + jsonl + ": " + e.getMessage(), e);
        }
    }

    private static ArrayNode messages(List<Turn> turns) {
        ArrayNode arr = JSON.createArrayNode();
        for (Turn t : turns) {
            ObjectNode m = arr.addObject();
            m.put("role", t.role());
            m.put("content", t.content());
        }
        return arr;
    }

    public static void writeExamples(List<ChatExample> examples, Path out) {
        StringBuilder sb = new StringBuilder();
        for (ChatExample e : examples) sb.append(toJsonLine(e)).append('\n');
        writeAtomically(out, sb.toString());
    }

    public static void writeEval(List<EvalCase> cases, Path out) {
        StringBuilder sb = new StringBuilder();
        for (EvalCase c : cases) sb.append(toJsonLine(c)).append('\n');
        writeAtomically(out, sb.toString());
    }

    static void writeAtomically(Path out, String text) {
        Path target = out.toAbsolutePath();
        Path tmp = null;
        try {
            Files.createDirectories(target.getParent());
            // a plain file (not createTempFile) so the result gets the usual permissions, not owner-only
            tmp = target.resolveSibling(target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more
                }
            }
        }
    }
}
