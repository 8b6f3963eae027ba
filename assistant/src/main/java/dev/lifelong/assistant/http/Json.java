package dev.lifelong.assistant.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.util.Optional;

/** Parsing and validating JSON request bodies with errors that say which field is wrong. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build());
    }

    private Json() {}

    static ObjectNode object(Context ctx) {
        String body = ctx.body();
        if (body == null || body.isBlank()) throw ApiException.badRequest("empty_body", "the request body must be a JSON object");
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("malformed_json", "malformed JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()));
        }
        if (node == null || !node.isObject()) throw ApiException.badRequest("not_an_object", "the request body must be a JSON object");
        return (ObjectNode) node;
    }

    static String requiredString(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) throw ApiException.badRequest("missing_field", "'" + field + "' is required");
        if (!v.isTextual()) throw ApiException.badRequest("invalid_type", "'" + field + "' must be a string");
        return v.asText();
    }

    static Optional<String> optionalString(JsonNode obj, String field) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isTextual()) throw ApiException.badRequest("invalid_type", "'" + field + "' must be a string");
        return Optional.of(v.asText());
    }

    static Optional<Integer> optionalInt(JsonNode obj, String field, int min, int max) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiException.badRequest("invalid_type", "'" + field + "' must be an integer");
        int i = v.intValue();
        if (i < min || i > max) throw ApiException.badRequest("invalid_value", "'" + field + "' must be between " + min + " and " + max);
        return Optional.of(i);
    }

    static Optional<Double> optionalNumber(JsonNode obj, String field, double min, double max) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return Optional.empty();
        if (!v.isNumber()) throw ApiException.badRequest("invalid_type", "'" + field + "' must be a number");
        double d = v.doubleValue();
        if (d < min || d > max) throw ApiException.badRequest("invalid_value", "'" + field + "' must be between " + min + " and " + max);
        return Optional.of(d);
    }

    static boolean optionalBoolean(JsonNode obj, String field, boolean dflt) {
        JsonNode v = obj.get(field);
        if (v == null || v.isNull()) return dflt;
        if (!v.isBoolean()) throw ApiException.badRequest("invalid_type", "'" + field + "' must be true or false");
        return v.booleanValue();
    }

    /** The body as an object that may hold only {@code fields}. */
    static ObjectNode objectWith(Context ctx, String... fields) {
        ObjectNode o = object(ctx);
        allowOnly(o, fields);
        return o;
    }

    /** Rejects fields the endpoint does not know (a typo must not be silently ignored). */
    static void allowOnly(JsonNode obj, String... fields) {
        java.util.Set<String> allowed = java.util.Set.of(fields);
        for (var it = obj.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw ApiException.badRequest("unknown_field", "unknown field '" + abbreviate(f) + "'; allowed: " + String.join(", ", fields));
            }
        }
    }

    static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…" : s;
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
