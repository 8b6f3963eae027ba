package dev.lifelong.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import dev.lifelong.llama.LlamaNative;
import dev.lifelong.lora.data.BosRule;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ChatTemplateRenderer;
import dev.lifelong.lora.data.Turn;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Self-generated replay: Lifelong never has the base model's training data, so before training the serving model
 * (base + the serving adapter) answers a few general prompts, and those answers are mixed into the night's data. The
 * update is pulled toward what the model already did on everything that is not the user's (self-synthesized
 * rehearsal nearly removes forgetting when the original data is unavailable; Huang et al. 2024). The prompts are a
 * bank shipped with Lifelong, disjoint from the gate's general probe so that the gate does not score its own training
 * data; each night takes the next {@code count} of them.
 */
public final class SelfReplay {
    static final String PROMPTS = "/dev/lifelong/loop/self-replay-prompts.jsonl";
    /** Prompts answered per night by default (~1–2 minutes at 0.5B on 2 cores, seconds on the seedling). */
    public static final int DEFAULT_COUNT = 8;
    static final int MAX_ANSWER_TOKENS = 48;

    private SelfReplay() {
    }

    /** The shipped prompt bank. */
    public static List<String> prompts() {
        try (InputStream in = SelfReplay.class.getResourceAsStream(PROMPTS)) {
            if (in == null) throw new IllegalStateException("the self-replay prompts " + PROMPTS + " are missing from the build");
            ObjectMapper json = new ObjectMapper();
            List<String> out = new ArrayList<>();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) continue;
                JsonNode n = json.readTree(line);
                out.add(n.get("prompt").asText());
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The text up to and including its last sentence end, or "" when it has none. */
    static String wholeSentences(String text) {
        int end = -1;
        for (int i = 0; i < text.length(); i++) {
            if (".!?。！？".indexOf(text.charAt(i)) >= 0) end = i;
        }
        return end < 0 ? "" : text.substring(0, end + 1).strip();
    }

    /** Which prompts night {@code night} uses: the next {@code count} of the bank, wrapping around. */
    static List<String> forNight(List<String> bank, long night, int count) {
        List<String> out = new ArrayList<>();
        int n = Math.min(count, bank.size());
        long start = Math.floorMod(night * n, (long) bank.size());
        for (int i = 0; i < n; i++) out.add(bank.get((int) ((start + i) % bank.size())));
        return out;
    }

    /**
     * The serving model's greedy answers to night {@code night}'s prompts, as training examples with the serving system
     * prompt (answers that came out empty are left out).
     *
     * @param adapter the serving adapter, or null when the base model serves
     */
    public static List<ChatExample> generate(Path base, Path adapter, String systemPrompt, long night, int count) {
        if (count <= 0) return List.of();
        LlamaNative.prepare();
        ModelParameters params = new ModelParameters().disableLog().setModel(base.toAbsolutePath().toString())
                .setCtxSize(1024).setThreads(Math.max(1, Runtime.getRuntime().availableProcessors())).setParallel(1)
                .setGpuLayers(0).enableJinja();
        if (adapter != null) params.addLoraAdapter(adapter.toAbsolutePath().toString());
        BosRule bos = BosRule.of(base);
        List<ChatExample> out = new ArrayList<>();
        try (LlamaModel model = new LlamaModel(params)) {
            for (String prompt : forNight(prompts(), night, count)) {
                List<Turn> turns = new ArrayList<>();
                if (systemPrompt != null && !systemPrompt.isBlank()) turns.add(Turn.system(systemPrompt));
                turns.add(Turn.user(prompt));
                String rendered = ChatTemplateRenderer.renderText(model, bos, turns);
                StringBuilder answer = new StringBuilder();
                int pieces = 0;
                for (LlamaOutput o : model.generate(new InferenceParameters(rendered).setNPredict(MAX_ANSWER_TOKENS)
                        .setTemperature(0).setSeed(1).setCachePrompt(false))) {
                    answer.append(o.text);
                    if (!o.text.isEmpty()) pieces++;
                }
                // An answer cut by the token limit would teach stopping mid-sentence: keep its whole sentences only.
                String text = pieces >= MAX_ANSWER_TOKENS ? wholeSentences(answer.toString()) : answer.toString().strip();
                if (text.isEmpty()) continue;
                List<Turn> example = new ArrayList<>(turns);
                example.add(Turn.assistant(text));
                out.add(new ChatExample(example, 1.0));
            }
        }
        return out;
    }
}
