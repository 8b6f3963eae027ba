package dev.lifelong.assistant.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.assistant.model.ModelManager;
import dev.lifelong.assistant.runtime.Cancellation;
import dev.lifelong.assistant.runtime.ChatTurn;
import dev.lifelong.assistant.runtime.GenerationOptions;
import dev.lifelong.assistant.runtime.LlamaRuntime;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.seedling.corpus.CorpusGenerator;
import dev.lifelong.seedling.corpus.ExtractionSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Extraction by the served model: the extraction instruction the seedling was trained on, the exchange as
 * "User: … / Assistant: …" lines, greedy decoding constrained by llama.cpp's grammar for the extraction JSON schema
 * (so the output always parses), then schema validation. Anything the model gets wrong is dropped, never stored.
 */
public final class ModelMemoryExtractor implements MemoryExtractor {
    private static final Logger log = LoggerFactory.getLogger(ModelMemoryExtractor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_TOKENS = 200;

    private final ModelManager models;
    private final ExtractionSchema schema = ExtractionSchema.load();
    private final String grammar;

    public ModelMemoryExtractor(ModelManager models) {
        this.models = models;
        this.grammar = LlamaRuntime.jsonSchemaGrammar(schema.text());
    }

    @Override
    public List<ExtractedMemory> extract(List<ChatTurn> exchange) {
        StringBuilder transcript = new StringBuilder();
        for (ChatTurn t : exchange) {
            if (t.role().equals("system")) continue;
            if (!transcript.isEmpty()) transcript.append('\n');
            transcript.append(t.role().equals("user") ? "User: " : "Assistant: ").append(t.content().strip());
        }
        List<ChatTurn> prompt = List.of(ChatTurn.system(CorpusGenerator.EXTRACTION_SYSTEM_PROMPT), ChatTurn.user(transcript.toString()));
        GenerationOptions greedy = new GenerationOptions(MAX_TOKENS, 0f, 1f, 0, List.of(), grammar);
        String output = models.require().runtime().generate(prompt, greedy, piece -> { }, new Cancellation()).text().strip();
        List<String> problems = schema.validate(output);
        if (!problems.isEmpty()) {
            log.debug("Extraction output dropped ({}): {}", problems, output);
            return List.of();
        }
        try {
            List<ExtractedMemory> out = new ArrayList<>();
            for (JsonNode m : JSON.readTree(output).get("memories")) {
                out.add(new ExtractedMemory(MemoryKind.fromWire(m.get("kind").asText()), m.get("text").asText().strip()));
            }
            return out;
        } catch (IOException | IllegalArgumentException e) {
            log.debug("Extraction output dropped: {}", output, e);
            return List.of();
        }
    }
}
