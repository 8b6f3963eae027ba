package dev.lifelong.lora.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads training conversations from a JSON Lines file, one per line:
 * {@code {"messages":[{"role":"user","content":"..."},{"role":"assistant","content":"..."}], "weight": 2.0}}
 * ({@code weight} is optional, default 1). Blank lines are skipped.
 *
 * <p>The whole file is checked before anything is returned: every bad line is reported, with its number and the
 * reason, in one {@link DatasetException}. Unknown fields are errors too, so a misspelt {@code "wieght"} is not
 * silently ignored.
 */
public final class ExampleReader {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> TOP_FIELDS = Set.of("messages", "weight");
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content");

    private ExampleReader() {}

    public static List<ChatExample> read(Path jsonl) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(jsonl);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read training data " + jsonl + ": " + e.getMessage(), e);
        }
        List<DatasetException.Problem> problems = new ArrayList<>();
        List<ChatExample> examples = new ArrayList<>();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int lineNo = 0;
        for (int start = 0; start < bytes.length; ) {
            lineNo++;
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') end++;
            int next = end + 1;
            int stop = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            int line = lineNo;
            if (line == 1 && stop - start >= 3 && (bytes[start] & 0xff) == 0xEF && (bytes[start + 1] & 0xff) == 0xBB
                    && (bytes[start + 2] & 0xff) == 0xBF) {
                problems.add(new DatasetException.Problem(line,
                        "the file starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without BOM"));
                start = next;
                continue;
            }
            String text;
            try {
                text = utf8.reset().decode(ByteBuffer.wrap(bytes, start, stop - start)).toString();
            } catch (MalformedInputException e) {
                problems.add(new DatasetException.Problem(line, "invalid UTF-8 (" + e.getInputLength()
                        + " bad byte(s) at byte " + (badOffset(utf8, bytes, start, stop) + 1) + " of the line)"));
                start = next;
                continue;
            } catch (CharacterCodingException e) {
                problems.add(new DatasetException.Problem(line, "invalid UTF-8: " + e));
                start = next;
                continue;
            }
            start = next;
            if (text.isBlank()) continue;
            try {
                examples.add(parse(text));
            } catch (LineProblem e) {
                problems.add(new DatasetException.Problem(line, e.getMessage()));
            }
        }
        if (!problems.isEmpty()) throw new DatasetException(jsonl, problems);
        if (examples.isEmpty()) {
            throw new DatasetException(jsonl, List.of(new DatasetException.Problem(0, "the file has no examples")));
        }
        return examples;
    }

    /** Offset of the first undecodable byte within the line. */
    private static int badOffset(CharsetDecoder utf8, byte[] bytes, int start, int stop) {
        ByteBuffer in = ByteBuffer.wrap(bytes, start, stop - start);
        CharBuffer out = CharBuffer.allocate(stop - start + 1);
        utf8.reset().decode(in, out, true);
        return in.position() - start;
    }

    private static final class LineProblem extends Exception {
        LineProblem(String message) {
            super(message, null, false, false);
        }
    }

    static ChatExample parse(String line) throws LineProblem {
        JsonNode root;
        try {
            root = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            String m = e.getOriginalMessage();
            var loc = e.getLocation();
            throw new LineProblem("malformed JSON: " + m + (loc != null && loc.getColumnNr() > 0
                    ? " (column " + loc.getColumnNr() + ")" : ""));
        }
        if (root == null || !root.isObject()) {
            throw new LineProblem("expected a JSON object, got " + kind(root));
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!TOP_FIELDS.contains(name)) {
                throw new LineProblem("unknown field \"" + name + "\" (allowed: messages, weight)");
            }
        }
        JsonNode messages = root.get("messages");
        if (messages == null) throw new LineProblem("missing \"messages\"");
        if (!messages.isArray()) throw new LineProblem("\"messages\" must be an array, got " + kind(messages));
        if (messages.isEmpty()) throw new LineProblem("\"messages\" is empty");
        List<Turn> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            String at = "messages[" + i + "]";
            if (!m.isObject()) throw new LineProblem(at + " must be an object, got " + kind(m));
            for (Iterator<Map.Entry<String, JsonNode>> f = m.fields(); f.hasNext(); ) {
                String name = f.next().getKey();
                if (!MESSAGE_FIELDS.contains(name)) {
                    throw new LineProblem(at + " has unknown field \"" + name + "\" (allowed: role, content)");
                }
            }
            JsonNode role = m.get("role");
            if (role == null) throw new LineProblem(at + " has no \"role\"");
            if (!role.isTextual()) throw new LineProblem(at + ".role must be a string, got " + kind(role));
            if (!Turn.ROLES.contains(role.asText())) {
                throw new LineProblem(at + " has unknown role \"" + role.asText()
                        + "\" (allowed: system, user, assistant)");
            }
            JsonNode content = m.get("content");
            if (content == null) throw new LineProblem(at + " has no \"content\"");
            if (!content.isTextual()) throw new LineProblem(at + ".content must be a string, got " + kind(content));
            int bad = unpairedSurrogate(content.asText());
            if (bad >= 0) {
                throw new LineProblem(at + ".content has an unpaired surrogate \\u"
                        + Integer.toHexString(content.asText().charAt(bad)).toUpperCase()
                        + " (not a character; UTF-8 cannot encode it)");
            }
            if (role.asText().equals("system") && i > 0) {
                throw new LineProblem(at + " is a system message; only the first message may be one");
            }
            turns.add(new Turn(role.asText(), content.asText()));
        }
        if (turns.stream().noneMatch(t -> t.role().equals("assistant"))) {
            throw new LineProblem("no assistant message (nothing to learn from)");
        }
        double weight = 1.0;
        JsonNode w = root.get("weight");
        if (w != null) {
            if (!w.isNumber()) throw new LineProblem("\"weight\" must be a number, got " + kind(w));
            weight = w.asDouble();
            if (!Double.isFinite(weight) || !(weight > 0)) {
                throw new LineProblem("\"weight\" must be a finite number > 0, got " + w);
            }
        }
        return new ChatExample(turns, weight);
    }

    private static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static String kind(JsonNode node) {
        if (node == null || node.isMissingNode()) return "nothing";
        if (node.isNull()) return "null";
        if (node.isTextual()) return "a string";
        if (node.isNumber()) return "a number";
        if (node.isBoolean()) return "a boolean";
        if (node.isArray()) return "an array";
        if (node.isObject()) return "an object";
        return node.getNodeType().toString().toLowerCase();
    }
}
