package dev.lifelong.seedling.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The JSON schema of the memory-extraction answer ({@code extraction-schema.json}), shared by the corpus, the
 * seedling's evaluation and the memory feature (which hands it to llama.cpp as a grammar). {@link #validate} checks a
 * document against the subset of JSON Schema the file uses: type, properties, required, additionalProperties, items,
 * enum, minLength, maxLength.
 */
public final class ExtractionSchema {
    public static final String RESOURCE = "/dev/lifelong/seedling/extraction-schema.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;
    private final JsonNode schema;

    private ExtractionSchema(String text) throws IOException {
        this.text = text;
        this.schema = JSON.readTree(text);
    }

    public static ExtractionSchema load() {
        try (InputStream in = ExtractionSchema.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + RESOURCE);
            return new ExtractionSchema(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The schema as written in the resource. */
    public String text() {
        return text;
    }

    /** Problems of {@code json} against the schema; empty when it is valid; text that is not JSON is one problem. */
    public List<String> validate(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
        if (node == null || node.isMissingNode()) return List.of("not JSON: empty");
        return validate(node);
    }

    public List<String> validate(JsonNode document) {
        List<String> problems = new ArrayList<>();
        check(schema, document, "$", problems);
        return problems;
    }

    private static void check(JsonNode s, JsonNode n, String at, List<String> problems) {
        String type = s.path("type").asText("");
        boolean typeOk = switch (type) {
            case "object" -> n.isObject();
            case "array" -> n.isArray();
            case "string" -> n.isTextual();
            case "" -> true;
            default -> throw new IllegalStateException("schema type not supported: " + type);
        };
        if (!typeOk) {
            problems.add(at + " must be of type " + type);
            return;
        }
        if (s.has("enum")) {
            boolean found = false;
            for (JsonNode e : s.get("enum")) found |= e.equals(n);
            if (!found) problems.add(at + " must be one of " + s.get("enum"));
        }
        if (n.isTextual()) {
            int len = n.asText().codePointCount(0, n.asText().length());
            if (s.has("minLength") && len < s.get("minLength").asInt()) problems.add(at + " is too short");
            if (s.has("maxLength") && len > s.get("maxLength").asInt()) problems.add(at + " is too long");
        }
        if (n.isObject()) {
            JsonNode props = s.path("properties");
            for (JsonNode r : s.path("required")) {
                if (!n.has(r.asText())) problems.add(at + " is missing \"" + r.asText() + "\"");
            }
            for (Iterator<String> names = n.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (props.has(name)) {
                    check(props.get(name), n.get(name), at + "." + name, problems);
                } else if (s.path("additionalProperties").isBoolean() && !s.get("additionalProperties").asBoolean()) {
                    problems.add(at + " has unknown field \"" + name + "\"");
                }
            }
        }
        if (n.isArray() && s.has("items")) {
            for (int i = 0; i < n.size(); i++) check(s.get("items"), n.get(i), at + "[" + i + "]", problems);
        }
    }
}
