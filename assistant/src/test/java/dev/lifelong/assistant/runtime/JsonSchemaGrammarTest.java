package dev.lifelong.assistant.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.TestModels;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The JSON-schema-to-GBNF converter: the rules it writes, what it refuses, and that llama.cpp samples by them. */
class JsonSchemaGrammarTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode schema(String json) throws Exception { return JSON.readTree(json); }

    @Test
    void requiredPropertiesComeFirstAndOptionalOnesMayBeLeftOut() throws Exception {
        String g = JsonSchemaGrammar.forSchema(schema("""
                {"title": "person", "type": "object", "additionalProperties": false,
                 "properties": {"nick": {"type": "string"}, "name": {"type": "string", "description": "full name"},
                                "age": {"type": ["integer", "null"]}, "tags": {"type": "array", "items": {"const": "a\\"b"}}},
                 "required": ["name", "age"]}"""));
        assertThat(g).startsWith("root ::= schema\n")
                .contains("schema ::= \"{\" ws \"\\\"name\\\"\" ws \":\" ws string ws \",\" ws \"\\\"age\\\"\" ws \":\" ws schema-age ws"
                        + " ( \",\" ws \"\\\"nick\\\"\" ws \":\" ws string ws )? ( \",\" ws \"\\\"tags\\\"\" ws \":\" ws schema-tags ws )? \"}\"")
                .contains("schema-age ::= ( integer | null )")
                .contains("schema-tags ::= \"[\" ws ( schema-tags-item ws ( \",\" ws schema-tags-item ws )* )? \"]\"")
                .contains("schema-tags-item ::= \"\\\"a\\\\\\\"b\\\"\"");
    }

    @Test
    void unsupportedKeywordsAreNamedWithWhereTheyAre() throws Exception {
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"minLength\":2}}}")))
                .isInstanceOf(JsonSchemaGrammar.UnsupportedSchemaException.class)
                .hasMessageContaining("unsupported JSON schema keyword 'minLength' at schema.properties.a");
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"anyOf\":[{\"type\":\"string\"}]}")))
                .hasMessageContaining("'anyOf'");
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}}")))
                .hasMessageContaining("'additionalProperties'");
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"type\":\"object\",\"properties\":{},\"required\":[\"x\"]}")))
                .hasMessageContaining("required names 'x'");
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"type\":\"decimal\"}"))).hasMessageContaining("'decimal'");
        assertThatThrownBy(() -> JsonSchemaGrammar.forSchema(schema("{\"enum\":[]}"))).hasMessageContaining("non-empty");
    }

    @Test
    void llamaCppSamplesByTheGrammar() throws Exception {
        String optionalOnly = JsonSchemaGrammar.forSchema(schema("""
                {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "boolean"}, "z": {"enum": [1, 2.5, "three"]}}}"""));
        try (LlamaRuntime runtime = LlamaRuntime.load(TestModels.tiny(), new RuntimeOptions(2, 0, 1024, 1))) {
            for (int seed = 1; seed <= 4; seed++) {
                String out = runtime.generate(List.of(ChatTurn.user("JSON please")),
                        new GenerationOptions(300, 1f, 1f, seed, List.of(), optionalOnly), s -> { }, new Cancellation()).text();
                JsonNode value = JSON.readTree(out);
                assertThat(value.isObject()).as(out).isTrue();
                if (value.has("x")) assertThat(value.get("x").isIntegralNumber()).as(out).isTrue();
                if (value.has("y")) assertThat(value.get("y").isBoolean()).as(out).isTrue();
                if (value.has("z")) assertThat(value.get("z").toString()).as(out).isIn("1", "2.5", "\"three\"");
            }
        }
    }
}
