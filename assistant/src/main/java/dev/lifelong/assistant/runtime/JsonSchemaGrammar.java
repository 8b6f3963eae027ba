package dev.lifelong.assistant.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * GBNF grammars (llama.cpp's grammar format) that make the sampler write JSON: {@link #anyObject()} for any JSON
 * object, {@link #forSchema} for the instances of a JSON schema. Only a small, predictable part of JSON Schema is
 * understood — {@code type} (object, array, string, number, integer, boolean, null, or a list of them),
 * {@code properties}, {@code required}, {@code additionalProperties} (true or false), {@code items}, {@code enum} and
 * {@code const}; annotations ({@code title}, {@code description}, …) are ignored. Any other keyword is refused with
 * {@link UnsupportedSchemaException} naming it, rather than silently producing output the caller's schema would reject.
 *
 * <p>The grammar writes a subset of the valid instances: properties in the order they are declared (required ones
 * first), no properties beyond the declared ones, and bounded whitespace (a model must not be able to loop on blanks
 * forever). Numbers have at most 16 integer digits, for the same reason.
 */
public final class JsonSchemaGrammar {
    /** A schema uses a keyword this converter does not understand (or uses one wrongly). */
    public static final class UnsupportedSchemaException extends IllegalArgumentException {
        public UnsupportedSchemaException(String message) { super(message); }
    }

    /** Keywords that only describe a schema and never constrain its instances. */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "default",
            "examples", "deprecated", "readOnly", "writeOnly");
    private static final Set<String> UNDERSTOOD = Set.of("type", "properties", "required", "additionalProperties", "items",
            "enum", "const");
    /** Deeper nesting than any sensible response format; refusing it keeps the grammar (and its parse) small. */
    private static final int MAX_DEPTH = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The rules every grammar shares: any JSON value, and the pieces the schema's rules are built from. */
    private static final String COMMON_RULES = String.join("\n",
            "value ::= object | array | string | number | (\"true\" | \"false\" | \"null\")",
            "object ::= \"{\" ws ( string \":\" ws value ws ( \",\" ws string \":\" ws value ws )* )? \"}\"",
            "array ::= \"[\" ws ( value ws ( \",\" ws value ws )* )? \"]\"",
            "string ::= \"\\\"\" ( [^\"\\\\\\x7F\\x00-\\x1F] | \"\\\\\" ( [\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4} ) )* \"\\\"\"",
            "integer ::= \"-\"? ( \"0\" | [1-9] [0-9]{0,15} )",
            "number ::= integer ( \".\" [0-9]+ )? ( [eE] [-+]? [0-9]{1,3} )?",
            "boolean ::= \"true\" | \"false\"",
            "null ::= \"null\"",
            // at most one line break and 20 blanks between tokens
            "ws ::= ( \" \" | \"\\n\" [ \\t]{0,20} )?");

    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Set<String> usedNames = new HashSet<>();

    private JsonSchemaGrammar() {
        usedNames.addAll(List.of("root", "value", "object", "array", "string", "integer", "number", "boolean", "null", "ws"));
    }

    /** A grammar for any JSON object (OpenAI's {@code response_format: {"type": "json_object"}}). */
    public static String anyObject() {
        return "root ::= object\n" + COMMON_RULES + "\n";
    }

    /**
     * A grammar for the instances of {@code schema} (OpenAI's {@code response_format: {"type": "json_schema"}}).
     *
     * @throws UnsupportedSchemaException naming the keyword (and where it is) when the schema uses something not understood
     */
    public static String forSchema(JsonNode schema) {
        JsonSchemaGrammar g = new JsonSchemaGrammar();
        String root = g.expression(schema, "schema", 0);
        StringBuilder out = new StringBuilder("root ::= ").append(root).append('\n');
        g.rules.forEach((name, body) -> out.append(name).append(" ::= ").append(body).append('\n'));
        return out.append(COMMON_RULES).append('\n').toString();
    }

    /** The GBNF expression for the instances of {@code schema}; {@code where} names it in error messages. */
    private String expression(JsonNode schema, String where, int depth) {
        if (depth > MAX_DEPTH) throw new UnsupportedSchemaException(where + ": nested deeper than " + MAX_DEPTH + " levels");
        if (schema.isBoolean()) {
            if (schema.booleanValue()) return "value";
            throw new UnsupportedSchemaException(where + ": the schema false allows no value at all");
        }
        if (!schema.isObject()) throw new UnsupportedSchemaException(where + " must be a JSON schema (an object), not " + schema.getNodeType().name().toLowerCase());
        for (var it = schema.fieldNames(); it.hasNext(); ) {
            String keyword = it.next();
            if (!UNDERSTOOD.contains(keyword) && !ANNOTATIONS.contains(keyword)) {
                throw new UnsupportedSchemaException("unsupported JSON schema keyword '" + keyword + "' at " + where
                        + "; supported: type, properties, required, additionalProperties, items, enum, const");
            }
        }
        // const and enum fix the value exactly, whatever else the schema says
        if (schema.has("const")) return literal(schema.get("const"));
        if (schema.has("enum")) {
            JsonNode values = schema.get("enum");
            if (!values.isArray() || values.isEmpty()) throw new UnsupportedSchemaException(where + ".enum must be a non-empty array");
            List<String> alternatives = new ArrayList<>();
            for (JsonNode v : values) alternatives.add(literal(v));
            return "( " + String.join(" | ", alternatives) + " )";
        }
        List<String> types = types(schema, where);
        if (types.isEmpty()) {
            // no type: what the structural keywords imply, else any value
            if (schema.has("properties") || schema.has("required") || schema.has("additionalProperties")) types = List.of("object");
            else if (schema.has("items")) types = List.of("array");
            else return "value";
        }
        List<String> alternatives = new ArrayList<>();
        for (String type : types) {
            alternatives.add(switch (type) {
                case "object" -> objectRule(schema, where, depth);
                case "array" -> arrayRule(schema, where, depth);
                case "string", "number", "integer", "boolean", "null" -> type;
                default -> throw new UnsupportedSchemaException(where + ".type '" + type
                        + "' is not a JSON schema type (object, array, string, number, integer, boolean, null)");
            });
        }
        return alternatives.size() == 1 ? alternatives.get(0) : "( " + String.join(" | ", alternatives) + " )";
    }

    private static List<String> types(JsonNode schema, String where) {
        JsonNode type = schema.get("type");
        if (type == null) return List.of();
        if (type.isTextual()) return List.of(type.asText());
        if (type.isArray() && !type.isEmpty()) {
            List<String> out = new ArrayList<>();
            for (JsonNode t : type) {
                if (!t.isTextual()) throw new UnsupportedSchemaException(where + ".type must be a string or an array of strings");
                out.add(t.asText());
            }
            return out;
        }
        throw new UnsupportedSchemaException(where + ".type must be a string or a non-empty array of strings");
    }

    /**
     * An object with the declared properties: the required ones always, in order, then each optional one or not. With
     * no declared properties, any object.
     */
    private String objectRule(JsonNode schema, String where, int depth) {
        JsonNode additional = schema.get("additionalProperties");
        if (additional != null && !additional.isBoolean()) {
            throw new UnsupportedSchemaException("unsupported JSON schema keyword 'additionalProperties' at " + where
                    + " as a schema; only true or false are supported");
        }
        JsonNode properties = schema.path("properties");
        if (!properties.isMissingNode() && !properties.isObject()) throw new UnsupportedSchemaException(where + ".properties must be an object");
        Set<String> required = new HashSet<>();
        JsonNode req = schema.path("required");
        if (!req.isMissingNode()) {
            if (!req.isArray()) throw new UnsupportedSchemaException(where + ".required must be an array of property names");
            for (JsonNode r : req) {
                if (!r.isTextual() || !properties.has(r.asText())) {
                    throw new UnsupportedSchemaException(where + ".required names '" + r.asText() + "', which is not in its properties");
                }
                required.add(r.asText());
            }
        }
        if (properties.isMissingNode() || properties.isEmpty()) {
            // nothing declared: any object, unless additional properties are forbidden (then only {})
            return additional != null && !additional.booleanValue() ? "\"{\" ws \"}\"" : "object";
        }
        List<String> mandatory = new ArrayList<>();
        List<String> optional = new ArrayList<>();
        for (var it = properties.fields(); it.hasNext(); ) {
            var p = it.next();
            String at = where + ".properties." + p.getKey();
            String valueRule = rule(at, expression(p.getValue(), at, depth + 1));
            String member = literal(JSON.getNodeFactory().textNode(p.getKey())) + " ws \":\" ws " + valueRule + " ws";
            (required.contains(p.getKey()) ? mandatory : optional).add(member);
        }
        StringBuilder body = new StringBuilder("\"{\" ws ");
        if (!mandatory.isEmpty()) {
            body.append(String.join(" \",\" ws ", mandatory));
            for (String o : optional) body.append(" ( \",\" ws ").append(o).append(" )?");
        } else {
            body.append("( ").append(optionalOnly(optional)).append(" )?");
        }
        return rule(where, body.append(" \"}\"").toString());
    }

    /** Any in-order selection of the optional members, at least one, separated by commas. */
    private static String optionalOnly(List<String> members) {
        List<String> alternatives = new ArrayList<>();
        for (int first = 0; first < members.size(); first++) {
            StringBuilder a = new StringBuilder(members.get(first));
            for (String later : members.subList(first + 1, members.size())) a.append(" ( \",\" ws ").append(later).append(" )?");
            alternatives.add(a.toString());
        }
        return alternatives.size() == 1 ? alternatives.get(0) : "( " + String.join(" | ", alternatives) + " )";
    }

    private String arrayRule(JsonNode schema, String where, int depth) {
        JsonNode items = schema.get("items");
        if (items == null) return "array";
        if (items.isArray()) throw new UnsupportedSchemaException("unsupported JSON schema keyword 'items' at " + where + " as an array (tuple); give one schema");
        String item = rule(where + ".items", expression(items, where + ".items", depth + 1));
        return rule(where, "\"[\" ws ( " + item + " ws ( \",\" ws " + item + " ws )* )? \"]\"");
    }

    /**
     * Names {@code body} as a rule after its place in the schema ({@code schema.properties.tags.items} becomes
     * {@code schema-tags-item}), so that the grammar stays readable, and returns the name.
     */
    private String rule(String where, String body) {
        if (body.matches("[a-z0-9-]+")) return body; // already a rule (string, value, or one named before)
        String base = where.replace(".properties.", "-").replace(".items", "-item")
                .replaceAll("[^A-Za-z0-9]+", "-").replaceAll("^-|-$", "").toLowerCase();
        if (base.isEmpty()) base = "schema";
        String name = base;
        for (int n = 2; !usedNames.add(name); n++) name = base + "-" + n;
        rules.put(name, body);
        return name;
    }

    /** A GBNF literal that matches exactly the JSON text of {@code value}. */
    private static String literal(JsonNode value) {
        String json;
        try {
            json = JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
