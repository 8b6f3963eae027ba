package dev.lifelong.lora.data;

import de.kherud.llama.LlamaModel;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.TokenPieces;
import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.TrainingSequence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns chat examples into training sequences with the base model's own tokenizer and chat template (llama.cpp through
 * java-llama.cpp), so training sees exactly the tokens serving sees.
 *
 * <p>A conversation is rendered as serving renders it, tokenized once as a whole by llama.cpp, and every token is
 * given its byte span in the rendered prompt by decoding its piece. Tokens overlapping an assistant message's
 * content get the example's weight, and so do the tokens after it up to and including the end-of-turn token (e.g.
 * {@code <|im_end|>}), so the model learns to stop. Everything else (template, system and user text) weighs 0.
 *
 * <p>Loads the model once (vocabulary and a small context only in use); not thread-safe.
 */
public final class ChatTokenizer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ChatTokenizer.class);
    /** Texts llama.cpp (b4916) itself treats as end-of-generation tokens, besides the ids named in the metadata. */
    private static final Set<String> END_OF_TURN_TEXTS = Set.of("<|eot_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>");

    private final LlamaModel model;
    private final Path file;
    private final Set<Integer> endOfTurn;
    private final BosRule bos;
    private final Map<Integer, byte[]> pieces = new HashMap<>();

    private ChatTokenizer(LlamaModel model, Path file, Set<Integer> endOfTurn, BosRule bos) {
        this.model = model;
        this.file = file;
        this.endOfTurn = endOfTurn;
        this.bos = bos;
    }

    /** Opens the base model. The caller validates the file first: llama.cpp may abort the JVM on malformed files. */
    public static ChatTokenizer open(Path gguf) {
        Set<Integer> eot = new HashSet<>();
        BosRule bos;
        try (GgufFile meta = GgufReader.read(gguf)) {
            for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                    "tokenizer.ggml.eom_token_id")) {
                meta.findLong(key).ifPresent(id -> eot.add(id.intValue()));
            }
            List<String> tokens = meta.getStringList("tokenizer.ggml.tokens");
            for (int id = 0; id < tokens.size(); id++) {
                if (END_OF_TURN_TEXTS.contains(tokens.get(id))) eot.add(id);
            }
            bos = BosRule.of(meta);
        }
        dev.lifelong.llama.LlamaNative.prepare();
        ModelParameters params = new ModelParameters()
                .disableLog()
                .setModel(gguf.toAbsolutePath().toString())
                .setCtxSize(256)
                .setThreads(1)
                .setThreadsBatch(1)
                .setParallel(1)
                .enableJinja()
                .disableLog();
        try {
            return new ChatTokenizer(new LlamaModel(params), gguf, Set.copyOf(eot), bos);
        } catch (RuntimeException e) {
            throw new IllegalStateException("llama.cpp could not load " + gguf + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    /** The prompt text for these turns as serving renders it (with the model's chat template, contents defused). */
    public String render(List<Turn> turns) {
        return ChatTemplateRenderer.render(model, bos, turns).text();
    }

    /** The tokens serving feeds the model for these turns (BOS as llama.cpp adds it, then the rendered prompt). */
    public int[] promptTokens(List<Turn> turns) {
        int[] ids = model.encode(render(turns));
        if (!bos.adds()) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos.id();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /**
     * The whole conversation as one sequence, untruncated, without the template tokens after the last weighted one.
     *
     * @throws IllegalStateException if llama.cpp's token pieces do not spell the rendered prompt
     */
    public TrainingSequence tokenize(ChatExample example) {
        ChatTemplateRenderer.Rendered rendered = ChatTemplateRenderer.render(model, bos, example.messages());
        for (int k = 0; k < example.messages().size(); k++) {
            if (rendered.contentStart()[k] < 0 && !(k == 0 && example.messages().get(0).role().equals("system")
                    && example.messages().get(0).content().isEmpty())) {
                throw new IllegalStateException("the chat template changes message contents (message " + k
                        + " is not in the rendered prompt as written); cannot mask its tokens");
            }
        }
        String text = rendered.text();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = model.encode(text);
        int n = ids.length;
        int[] start = new int[n];
        int[] end = new int[n];
        align(ids, bytes, start, end);

        float weight = (float) example.weight();
        float[] w = new float[n];
        List<Turn> turns = example.messages();
        for (int k = 0; k < turns.size(); k++) {
            if (!turns.get(k).role().equals("assistant")) continue;
            int s = utf8Length(text, 0, rendered.contentStart()[k]);
            int e = s + utf8Length(text, rendered.contentStart()[k], rendered.contentEnd()[k]);
            int limit = bytes.length;
            for (int j = k + 1; j < turns.size(); j++) {
                if (rendered.contentStart()[j] >= 0) {
                    limit = utf8Length(text, 0, rendered.contentStart()[j]);
                    break;
                }
            }
            int i = 0;
            while (i < n && end[i] <= s) i++;
            for (; i < n && start[i] < e; i++) {
                if (end[i] > start[i]) w[i] = weight;
            }
            // the end-of-turn marker: the tokens after the content up to the first end-of-turn token
            int first = i;
            boolean found = false;
            for (; i < n && start[i] < limit; i++) {
                if (endOfTurn.contains(ids[i])) {
                    found = true;
                    break;
                }
            }
            if (found) {
                for (int j = first; j <= i; j++) w[j] = weight;
            } else {
                log.warn("No end-of-turn token after assistant message {} in the rendered prompt; the model will not "
                        + "learn where that turn stops", k);
            }
        }
        int last = -1;
        for (int i = 0; i < n; i++) if (w[i] > 0) last = i;
        int prefix = bos.adds() ? 1 : 0;
        int[] tokens = new int[prefix + last + 1];
        float[] weights = new float[tokens.length];
        if (bos.adds()) tokens[0] = bos.id();
        System.arraycopy(ids, 0, tokens, prefix, last + 1);
        System.arraycopy(w, 0, weights, prefix, last + 1);
        if (weights.length > 0) weights[0] = 0; // nothing predicts the first token
        return new TrainingSequence(tokens, weights);
    }

    /**
     * Tokenizes every example; sequences longer than {@code maxSeqLen} keep their beginning, and examples left with no
     * loss token (or that cannot be tokenized faithfully) are dropped and reported.
     */
    public TokenizedDataset tokenize(List<ChatExample> examples, int maxSeqLen) {
        if (maxSeqLen < 2) throw new IllegalArgumentException("maxSeqLen must be at least 2, not " + maxSeqLen);
        List<TrainingSequence> out = new ArrayList<>();
        List<TokenizedDataset.Dropped> dropped = new ArrayList<>();
        long tokens = 0;
        long lossTokens = 0;
        int truncated = 0;
        for (int x = 0; x < examples.size(); x++) {
            TrainingSequence seq;
            try {
                seq = tokenize(examples.get(x));
            } catch (IllegalStateException e) {
                dropped.add(new TokenizedDataset.Dropped(x, e.getMessage()));
                continue;
            }
            if (seq.tokens().length > maxSeqLen) {
                seq = new TrainingSequence(Arrays.copyOf(seq.tokens(), maxSeqLen),
                        Arrays.copyOf(seq.lossWeights(), maxSeqLen));
                int loss = countLoss(seq);
                if (loss == 0) {
                    dropped.add(new TokenizedDataset.Dropped(x, "no assistant token within the first " + maxSeqLen
                            + " tokens"));
                    continue;
                }
                truncated++;
            }
            int loss = countLoss(seq);
            if (loss == 0) {
                dropped.add(new TokenizedDataset.Dropped(x, "no token to learn from"));
                continue;
            }
            out.add(seq);
            tokens += seq.tokens().length;
            lossTokens += loss;
        }
        TokenizedDataset result = new TokenizedDataset(out, examples.size(), tokens, lossTokens, truncated, dropped);
        log.info("Tokenized training data: {}", result.summary());
        return result;
    }

    /** The text of these tokens: their pieces' bytes joined, then read as UTF-8. */
    public String decode(int[] tokens) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int t : tokens) out.writeBytes(piece(t));
        return out.toString(StandardCharsets.UTF_8);
    }

    private static int countLoss(TrainingSequence seq) {
        int c = 0;
        for (float f : seq.lossWeights()) if (f > 0) c++;
        return c;
    }

    /**
     * Gives each token the byte range its piece covers in the prompt. The pieces must spell the prompt exactly, with
     * two exceptions SentencePiece vocabularies produce: a leading space the tokenizer itself inserts (with
     * add_space_prefix, before text at the start and after each special token) covers no prompt byte, and a space in
     * a piece may stand for a literal U+2581 ("▁") in the text, which the tokenizer cannot tell from its own space mark.
     */
    private void align(int[] ids, byte[] bytes, int[] start, int[] end) {
        int pos = 0;
        for (int i = 0; i < ids.length; i++) {
            byte[] p = piece(ids[i]);
            start[i] = pos;
            int used = matchLength(bytes, pos, p, 0);
            if (used < 0 && p.length > 0 && p[0] == ' ') used = matchLength(bytes, pos, p, 1);
            if (used < 0) {
                throw new IllegalStateException("llama.cpp's tokens do not spell the rendered prompt: token " + i
                        + " (id " + ids[i] + ", piece bytes " + HexFormat.of().formatHex(p) + ") does not match at byte "
                        + pos + " of " + bytes.length);
            }
            pos += used;
            end[i] = pos;
        }
        if (pos != bytes.length) {
            throw new IllegalStateException("llama.cpp's tokens spell only " + pos + " of the " + bytes.length
                    + " bytes of the rendered prompt");
        }
    }

    /** @return how many text bytes {@code piece[from..]} covers at {@code at}, or -1 if it does not match there */
    private static int matchLength(byte[] text, int at, byte[] piece, int from) {
        int t = at;
        for (int k = from; k < piece.length; k++) {
            if (t < text.length && text[t] == piece[k]) {
                t++;
            } else if (piece[k] == ' ' && t + 2 < text.length && (text[t] & 0xff) == 0xE2 && (text[t + 1] & 0xff) == 0x96
                    && (text[t + 2] & 0xff) == 0x81) {
                t += 3;
            } else {
                return -1;
            }
        }
        return t - at;
    }

    private byte[] piece(int id) {
        return pieces.computeIfAbsent(id, t -> TokenPieces.piece(model, t));
    }

    static int utf8Length(CharSequence s, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1; // String.getBytes writes '?' for an unpaired surrogate
            } else n += 3;
        }
        return n;
    }

    @Override
    public void close() {
        model.close();
    }
}
