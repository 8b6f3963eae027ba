package dev.lifelong.seedling.tokenizer;

import dev.lifelong.gguf.GgufFile;
import dev.lifelong.gguf.GgufFormatException;
import dev.lifelong.gguf.GgufWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The seedling's SentencePiece-style vocabulary ({@code tokenizer.ggml.model = "llama"}), as llama.cpp b4916 reads it.
 *
 * <p>Layout: {@code <unk> <s> </s> <|im_start|> <|im_end|>} (ids 0..4), the 256 byte tokens {@code <0x00>..<0xFF>}
 * (ids 5..260), then the normal tokens: single characters first, then merged pieces in merge order. A space is written
 * {@code ▁} (U+2581) inside tokens. Normal tokens score {@code -rank} for merges (the first merge scores highest), so
 * llama.cpp's greedy highest-score-first pairing prefers the merges learnt first; single characters score 0 (their
 * score is never read: a pair of symbols is at least two characters long).
 */
public final class SeedlingVocab {
    public static final int UNK_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int IM_START_ID = 3;
    public static final int IM_END_ID = 4;
    public static final int FIRST_BYTE_ID = 5;
    /** Ids below this are special and byte tokens. */
    public static final int FIRST_NORMAL_ID = FIRST_BYTE_ID + 256;
    public static final List<String> SPECIAL_TOKENS = List.of("<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>");
    /** The space as it is written inside tokens. */
    public static final char SPACE = '\u2581';

    public static final String CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
            + " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    // llama_token_type of llama.cpp
    public static final int TYPE_NORMAL = 1;
    public static final int TYPE_UNKNOWN = 2;
    public static final int TYPE_CONTROL = 3;
    public static final int TYPE_BYTE = 6;

    private final List<String> tokens;
    private final float[] scores;
    private final int[] types;

    /**
     * @param normalTokens the normal tokens after the special and byte tokens, in id order
     * @param normalScores their scores
     */
    public SeedlingVocab(List<String> normalTokens, float[] normalScores) {
        if (normalTokens.size() != normalScores.length) {
            throw new IllegalArgumentException(normalTokens.size() + " tokens but " + normalScores.length + " scores");
        }
        List<String> all = new ArrayList<>(FIRST_NORMAL_ID + normalTokens.size());
        all.addAll(SPECIAL_TOKENS);
        for (int b = 0; b < 256; b++) {
            all.add(byteToken(b));
        }
        all.addAll(normalTokens);
        int n = all.size();
        scores = new float[n];
        types = new int[n];
        Set<String> seen = new HashSet<>();
        for (int id = 0; id < n; id++) {
            String t = all.get(id);
            if (t.isEmpty()) {
                throw new IllegalArgumentException("token " + id + " is empty");
            }
            if (!seen.add(t)) {
                // llama.cpp maps text to id with the last duplicate winning; ours must be a bijection.
                throw new IllegalArgumentException("token " + id + " '" + t + "' appears twice");
            }
            if (id < FIRST_BYTE_ID) {
                types[id] = id == UNK_ID ? TYPE_UNKNOWN : TYPE_CONTROL;
            } else if (id < FIRST_NORMAL_ID) {
                types[id] = TYPE_BYTE;
            } else {
                types[id] = TYPE_NORMAL;
                scores[id] = normalScores[id - FIRST_NORMAL_ID];
                if (t.indexOf(' ') >= 0) {
                    throw new IllegalArgumentException("token " + id + " contains a plain space; spaces are ▁");
                }
            }
        }
        if (!seen.contains(String.valueOf(SPACE))) {
            throw new IllegalArgumentException("the vocabulary has no ▁ token, so spaces would not decode as spaces");
        }
        tokens = List.copyOf(all);
    }

    public static String byteToken(int b) {
        return String.format("<0x%02X>", b);
    }

    public int size() {
        return tokens.size();
    }

    public String token(int id) {
        return tokens.get(id);
    }

    public List<String> tokens() {
        return tokens;
    }

    public float score(int id) {
        return scores[id];
    }

    public int type(int id) {
        return types[id];
    }

    public float[] scores() {
        return scores.clone();
    }

    public int[] types() {
        return types.clone();
    }

    /** The tokenizer that encodes like llama.cpp does with this vocabulary. */
    public SeedlingTokenizer tokenizer() {
        return new SeedlingTokenizer(this);
    }

    /**
     * Adds every {@code tokenizer.*} key: the vocabulary, the ChatML template, {@code <|im_end|>} as end of sequence,
     * no BOS/EOS added and no space prefix (so the text is tokenized exactly as given).
     */
    public GgufWriter writeTo(GgufWriter writer) {
        return writer.putString("tokenizer.ggml.model", "llama")
                .putStringArray("tokenizer.ggml.tokens", tokens)
                .putFloat32Array("tokenizer.ggml.scores", scores)
                .putInt32Array("tokenizer.ggml.token_type", types)
                .putUInt32("tokenizer.ggml.bos_token_id", BOS_ID)
                .putUInt32("tokenizer.ggml.eos_token_id", IM_END_ID)
                .putUInt32("tokenizer.ggml.unknown_token_id", UNK_ID)
                .putUInt32("tokenizer.ggml.padding_token_id", EOS_ID)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putBool("tokenizer.ggml.add_eos_token", false)
                .putBool("tokenizer.ggml.add_space_prefix", false)
                .putString("tokenizer.chat_template", CHATML_TEMPLATE);
    }

    /**
     * The vocabulary a GGUF file carries, which must have been written by {@link #writeTo} (same special and byte
     * token layout); otherwise a {@link GgufFormatException} says what differs.
     */
    public static SeedlingVocab readFrom(GgufFile file) {
        String model = file.findString("tokenizer.ggml.model").orElse("(none)");
        if (!model.equals("llama")) {
            throw new GgufFormatException(file.path() + ": tokenizer.ggml.model is " + model
                    + ", a seedling vocabulary is \"llama\" (SentencePiece-style)");
        }
        List<String> all = file.getStringList("tokenizer.ggml.tokens");
        float[] allScores = file.getFloatArray("tokenizer.ggml.scores");
        int[] allTypes = file.getIntArray("tokenizer.ggml.token_type");
        if (all.size() < FIRST_NORMAL_ID || allScores.length != all.size() || allTypes.length != all.size()) {
            throw new GgufFormatException(file.path() + ": " + all.size() + " tokens, " + allScores.length
                    + " scores and " + allTypes.length + " types; a seedling vocabulary has at least "
                    + FIRST_NORMAL_ID + " tokens and one score and type each");
        }
        SeedlingVocab vocab;
        try {
            vocab = new SeedlingVocab(all.subList(FIRST_NORMAL_ID, all.size()),
                    Arrays.copyOfRange(allScores, FIRST_NORMAL_ID, allScores.length));
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(file.path() + ": " + e.getMessage());
        }
        for (int id = 0; id < all.size(); id++) {
            if (!all.get(id).equals(vocab.token(id)) || allTypes[id] != vocab.type(id)
                    || Float.compare(allScores[id], vocab.score(id)) != 0) {
                throw new GgufFormatException(file.path() + ": token " + id + " '" + all.get(id) + "' (type "
                        + allTypes[id] + ") is not the seedling layout's '" + vocab.token(id) + "' (type "
                        + vocab.type(id) + ")");
            }
        }
        return vocab;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeedlingVocab v && tokens.equals(v.tokens) && Arrays.equals(scores, v.scores)
                && Arrays.equals(types, v.types);
    }

    @Override
    public int hashCode() {
        return tokens.hashCode() * 31 + Arrays.hashCode(scores);
    }
}
