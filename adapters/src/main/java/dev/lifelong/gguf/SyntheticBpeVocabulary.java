package dev.lifelong.gguf;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A GPT-2-style byte-level BPE vocabulary of any size, for random-weight twins of real models: the 256 byte tokens
 * (in GPT-2's byte-to-unicode alphabet, so every text tokenizes), then tokens built by merges in rank order — pairs of
 * frequent English characters first, then longer pieces — and the model's special tokens at the ids the real model
 * has them. llama.cpp loads it like the real vocabulary ({@code tokenizer.ggml.model = "gpt2"}).
 */
public final class SyntheticBpeVocabulary {
    /** llama_token_type of llama.cpp. */
    public static final int NORMAL = 1;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;

    /** Characters in the order merges prefer them (space mark Ġ first, then English letter frequency). */
    private static final String PREFERRED = "\u0120etaoinshrdlucmfwypvbgkqjxzETAOINSHRDLUCMFWYPVBGKQJXZ0123456789"
            + ".,!?'-:;\"()\u010A";

    private final List<String> tokens;
    private final int[] types;
    private final List<String> merges;

    private SyntheticBpeVocabulary(List<String> tokens, int[] types, List<String> merges) {
        this.tokens = tokens;
        this.types = types;
        this.merges = merges;
    }

    public List<String> tokens() {
        return tokens;
    }

    public int[] types() {
        return types.clone();
    }

    public List<String> merges() {
        return merges;
    }

    /**
     * @param size total vocabulary size
     * @param firstNormalId id of the first byte token (the real model's special tokens may come first)
     * @param normalCount how many byte and merged tokens (the rest are {@code specials} and padding)
     * @param specials token id → (text, type) of the special and added tokens
     * @param paddingFormat text of unused padding ids, e.g. "[PAD%d]" (type UNUSED)
     */
    public static SyntheticBpeVocabulary build(int size, int firstNormalId, int normalCount,
            Map<Integer, Special> specials, String paddingFormat) {
        if (normalCount < 256) throw new IllegalArgumentException("a byte-level vocabulary needs at least 256 tokens");
        String[] text = new String[size];
        int[] types = new int[size];
        List<String> merges = new ArrayList<>();
        List<String> normal = normalTokens(normalCount, merges);
        for (int i = 0; i < normalCount; i++) {
            text[firstNormalId + i] = normal.get(i);
            types[firstNormalId + i] = NORMAL;
        }
        for (Map.Entry<Integer, Special> e : specials.entrySet()) {
            if (text[e.getKey()] != null) throw new IllegalArgumentException("id " + e.getKey() + " is taken");
            text[e.getKey()] = e.getValue().text();
            types[e.getKey()] = e.getValue().type();
        }
        for (int i = 0; i < size; i++) {
            if (text[i] == null) {
                text[i] = String.format(paddingFormat, i);
                types[i] = UNUSED;
            }
        }
        return new SyntheticBpeVocabulary(List.of(text), types, List.copyOf(merges));
    }

    /** A special or added token. */
    public record Special(String text, int type) {
        public static Special control(String text) {
            return new Special(text, CONTROL);
        }

        public static Special userDefined(String text) {
            return new Special(text, USER_DEFINED);
        }
    }

    /** GPT-2's reversible byte → printable character map (bytes_to_unicode). */
    public static char[] byteToUnicode() {
        char[] map = new char[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++) {
            map[b] = printable[b] ? (char) b : (char) (256 + next++);
        }
        return map;
    }

    private static List<String> normalTokens(int count, List<String> merges) {
        List<String> out = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        for (char c : byteToUnicode()) {
            String s = String.valueOf(c);
            out.add(s);
            seen.add(s);
        }
        List<String> preferred = new ArrayList<>();
        for (char c : PREFERRED.toCharArray()) preferred.add(String.valueOf(c));
        // Pieces grow by one preferred character at a time; each level is built from the previous one.
        List<String> level = new ArrayList<>(preferred);
        while (out.size() < count) {
            List<String> nextLevel = new ArrayList<>();
            Map<String, String> made = new LinkedHashMap<>();
            outer:
            for (String left : level) {
                for (String right : preferred) {
                    if (right.equals("\u0120")) continue; // a space mark only starts a piece
                    String piece = left + right;
                    if (seen.contains(piece) || made.containsKey(piece)) continue;
                    made.put(piece, left + " " + right);
                    if (out.size() + made.size() >= count) break outer;
                }
            }
            if (made.isEmpty()) throw new IllegalStateException("cannot build " + count + " tokens");
            for (Map.Entry<String, String> e : made.entrySet()) {
                out.add(e.getKey());
                seen.add(e.getKey());
                merges.add(e.getValue());
                nextLevel.add(e.getKey());
            }
            level = nextLevel;
        }
        return out;
    }
}
