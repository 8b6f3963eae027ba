package dev.lifelong.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation process of the nightly update (prints {@code PROGRESS {"done","total"}} in tokens as it goes): for each model variant (the base, the serving adapter, the candidate)
 * and each set of sequences, the weighted mean cross-entropy over the loss tokens and the share of sequences whose
 * every loss token is the model's top choice (teacher-forced greedy exact match: the answer greedy decoding would
 * produce). Runs in its own JVM without llama.cpp (decision 011). Reads a JSON job
 * {@code {"base", "threads", "variants": {name: adapterPath|null}, "sets": {name: sequencesPath},
 * "pairs": {variant: [set]}}} ("pairs" optional: which sets each variant needs) and prints
 * {@code RESULT {variant: {set: {"meanLoss", "lossTokens", "sequences", "exact"}}}} or {@code ERROR message}.
 */
public final class EvaluationMain {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EvaluationMain() {
    }

    /** Loss and exact-match figures of one variant on one set. */
    public record SetScore(double meanLoss, double lossTokens, int sequences, double exact) {
    }

    public static void main(String[] args) {
        ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(4)));
        try {
            JsonNode job = JSON.readTree(Path.of(args[0]).toFile());
            int threads = job.path("threads").asInt(0);
            if (threads > 0) TransformerModel.computeThreads(threads);
            Map<String, Object> result;
            try (TransformerModel model = TransformerModel.load(Path.of(job.get("base").asText()))) {
                result = evaluate(model, job, Map.of(), "PROGRESS");
            }
            System.out.println("RESULT " + JSON.writeValueAsString(result));
            System.out.flush();
            System.exit(0);
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            System.out.println("ERROR " + msg.replace('\n', ' '));
            e.printStackTrace();
            System.out.flush();
            System.exit(3);
        }
    }

    /**
     * Scores the job's variants on its sets with a loaded model, printing {@code <progressTag> {"done","total"}} lines.
     * The optional {@code "pairs": {variant: [set, ...]}} limits which sets each variant is scored on (the others
     * come from a cache); {@code preloaded} gives weights for variants whose path is not read (the trainer passes the
     * candidate it has just trained).
     */
    static Map<String, Object> evaluate(TransformerModel model, JsonNode job, Map<String, LoraWeights> preloaded,
            String progressTag) throws java.io.IOException {
        Map<String, List<TrainingSequence>> sets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = job.get("sets").fields(); it.hasNext(); ) {
            var e = it.next();
            sets.put(e.getKey(), SequenceFiles.read(Path.of(e.getValue().asText())));
        }
        Map<String, List<String>> pairs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = job.get("variants").fields(); it.hasNext(); ) {
            String variant = it.next().getKey();
            List<String> wanted = new ArrayList<>();
            JsonNode listed = job.path("pairs").path(variant);
            if (listed.isArray()) listed.forEach(n -> wanted.add(n.asText()));
            else wanted.addAll(sets.keySet());
            pairs.put(variant, wanted);
        }
        long total = 0;
        for (var e : pairs.entrySet()) {
            for (String set : e.getValue()) for (TrainingSequence s : sets.get(set)) total += s.length();
        }
        long all = total;
        long[] done = {0};
        java.util.function.LongConsumer progress = tokens -> {
            done[0] += tokens;
            System.out.println(progressTag + " {\"done\":" + done[0] + ",\"total\":" + all + "}");
            System.out.flush();
        };
        Map<String, Object> result = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = job.get("variants").fields(); it.hasNext(); ) {
            var e = it.next();
            if (pairs.get(e.getKey()).isEmpty()) continue;
            LoraWeights lora = preloaded.containsKey(e.getKey()) ? preloaded.get(e.getKey())
                    : e.getValue().isNull() ? null : GgufLoraReader.read(Path.of(e.getValue().asText()), model.config(), 0);
            Map<String, SetScore> scores = new LinkedHashMap<>();
            for (String set : pairs.get(e.getKey())) scores.put(set, score(model, lora, sets.get(set), progress));
            result.put(e.getKey(), scores);
        }
        return result;
    }

    /** Tokens scored in one pass over the layers (bounds the activations kept between layers). */
    private static final int TOKENS_PER_PASS = 8192;

    static SetScore score(TransformerModel model, LoraWeights lora, List<TrainingSequence> data) {
        return score(model, lora, data, tokens -> { });
    }

    /** @param progress told the tokens of each pass when it is scored */
    static SetScore score(TransformerModel model, LoraWeights lora, List<TrainingSequence> data,
            java.util.function.LongConsumer progress) {
        double lossSum = 0;
        double weightSum = 0;
        int exact = 0;
        int counted = 0;
        for (List<TrainingSequence> pass : passes(data)) {
            List<TransformerModel.ScoreRequest> requests = new ArrayList<>();
            List<float[]> weights = new ArrayList<>();
            for (TrainingSequence s : pass) {
                float[] w = s.lossWeights();
                int n = 0;
                for (int k = 1; k < s.length(); k++) if (w[k] > 0) n++;
                if (n == 0) continue;
                int[] positions = new int[n];
                float[] ws = new float[n];
                for (int k = 1, j = 0; k < s.length(); k++) {
                    if (w[k] > 0) {
                        positions[j] = k - 1;
                        ws[j++] = w[k];
                    }
                }
                requests.add(new TransformerModel.ScoreRequest(s.tokens(), positions));
                weights.add(ws);
            }
            List<TransformerModel.TokenScores> scores = model.score(requests, lora);
            long passTokens = 0;
            for (TrainingSequence s : pass) passTokens += s.length();
            progress.accept(passTokens);
            for (int r = 0; r < scores.size(); r++) {
                TransformerModel.TokenScores sc = scores.get(r);
                boolean allTop = true;
                for (int k = 0; k < sc.logProb().length; k++) {
                    lossSum -= weights.get(r)[k] * sc.logProb()[k];
                    weightSum += weights.get(r)[k];
                    if (!sc.top()[k]) allTop = false;
                }
                counted++;
                if (allTop) exact++;
            }
        }
        return new SetScore(weightSum > 0 ? lossSum / weightSum : Double.NaN, weightSum, counted,
                counted > 0 ? (double) exact / counted : Double.NaN);
    }

    /** Consecutive groups of at most {@link #TOKENS_PER_PASS} tokens (a longer sequence alone). */
    static List<List<TrainingSequence>> passes(List<TrainingSequence> data) {
        List<List<TrainingSequence>> out = new ArrayList<>();
        List<TrainingSequence> current = new ArrayList<>();
        int tokens = 0;
        for (TrainingSequence s : data) {
            if (!current.isEmpty() && tokens + s.length() > TOKENS_PER_PASS) {
                out.add(current);
                current = new ArrayList<>();
                tokens = 0;
            }
            current.add(s);
            tokens += s.length();
        }
        if (!current.isEmpty()) out.add(current);
        return out;
    }
}
