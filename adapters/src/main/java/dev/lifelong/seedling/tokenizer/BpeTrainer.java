package dev.lifelong.seedling.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Learns a {@link SeedlingVocab} from text by byte-pair-style merging over characters.
 *
 * <p>The text is cut at special token texts (they are never learnt), spaces become {@code ▁}, and it is split into
 * pieces for counting only: a run of letters, of Han characters, of other symbols, of line breaks, or a single digit,
 * each with the spaces before it. The alphabet is the most frequent characters covering {@code characterCoverage} of
 * all characters (the rest fall back to byte tokens). Then, until the vocabulary is full, the most frequent adjacent
 * pair (ties: lowest left id, then lowest right id) becomes a token. Pair counts live over a piece-frequency table
 * and are updated only for the pieces a merge touches, so ten megabytes train in seconds. Same input, same vocabulary.
 */
public final class BpeTrainer {
    /**
     * @param characterCoverage share of character occurrences the alphabet must cover (e.g. 0.9995)
     * @param minPairCount a pair seen fewer times is never merged
     * @param maxTokenChars longest token, in characters
     * @param maxHanChars most Han characters in one token: Chinese has no spaces, so without a cap a templated corpus
     *     turns whole phrases such as 我叫小明 into one token, and a name would have to be learnt inside every phrase
     *     it occurs in instead of being copied from the context
     */
    public record Options(double characterCoverage, int minPairCount, int maxTokenChars, int maxHanChars) {
        public Options {
            if (!(characterCoverage > 0 && characterCoverage <= 1) || minPairCount < 1 || maxTokenChars < 2
                    || maxHanChars < 1) {
                throw new IllegalArgumentException("coverage must be in (0, 1], minPairCount >= 1, maxTokenChars >= 2, "
                        + "maxHanChars >= 1: " + this);
            }
        }

        public static Options defaults() {
            return new Options(0.9995, 2, 16, 2);
        }
    }

    public static final int DEFAULT_VOCAB_SIZE = 4096;

    private static final Pattern SPECIALS = Pattern.compile(String.join("|",
            SeedlingVocab.SPECIAL_TOKENS.stream().map(Pattern::quote).toList()));

    private BpeTrainer() {
    }

    public static SeedlingVocab train(Iterable<String> texts, int vocabSize) {
        return train(texts, vocabSize, Options.defaults());
    }

    public static SeedlingVocab train(Iterable<String> texts, int vocabSize, Options options) {
        if (vocabSize <= SeedlingVocab.FIRST_NORMAL_ID) {
            throw new IllegalArgumentException("vocabulary size must exceed the " + SeedlingVocab.FIRST_NORMAL_ID
                    + " special and byte tokens: " + vocabSize);
        }
        Map<String, Integer> pieceCounts = countPieces(texts);
        String[] distinct = pieceCounts.keySet().toArray(new String[0]);
        Arrays.sort(distinct);

        // Alphabet: most frequent characters first, ties by code point.
        Map<Integer, Long> charCounts = new HashMap<>();
        long totalChars = 0;
        for (String piece : distinct) {
            long c = pieceCounts.get(piece);
            for (int i = 0; i < piece.length(); ) {
                int cp = piece.codePointAt(i);
                charCounts.merge(cp, c, Long::sum);
                totalChars += c;
                i += Character.charCount(cp);
            }
        }
        List<Integer> chars = new ArrayList<>(charCounts.keySet());
        chars.sort((x, y) -> {
            int byCount = Long.compare(charCounts.get(y), charCounts.get(x));
            return byCount != 0 ? byCount : Integer.compare(x, y);
        });
        int room = vocabSize - SeedlingVocab.FIRST_NORMAL_ID;
        List<String> tokens = new ArrayList<>();
        List<Integer> tokenChars = new ArrayList<>();
        List<Integer> tokenHan = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        Map<Integer, Integer> charIds = new HashMap<>();
        // ▁ always: without it llama.cpp writes an escaped space as the three bytes of ▁, which decode as ▁.
        charIds.put((int) SeedlingVocab.SPACE, 0);
        ids.put(String.valueOf(SeedlingVocab.SPACE), 0);
        tokens.add(String.valueOf(SeedlingVocab.SPACE));
        tokenChars.add(1);
        tokenHan.add(0);
        long covered = charCounts.getOrDefault((int) SeedlingVocab.SPACE, 0L);
        for (int cp : chars) {
            if (cp == SeedlingVocab.SPACE) {
                continue;
            }
            if (tokens.size() >= room || (totalChars > 0 && covered >= options.characterCoverage() * totalChars)) {
                break;
            }
            String t = Character.toString(cp);
            charIds.put(cp, tokens.size());
            ids.put(t, tokens.size());
            tokens.add(t);
            tokenChars.add(1);
            tokenHan.add(category(cp) == HAN ? 1 : 0);
            covered += charCounts.get(cp);
        }
        int alphabet = tokens.size();

        // Pieces as symbol lists (-1: a character outside the alphabet, never merged).
        int[][] words = new int[distinct.length][];
        long[] freq = new long[distinct.length];
        for (int w = 0; w < distinct.length; w++) {
            String piece = distinct[w];
            freq[w] = pieceCounts.get(piece);
            words[w] = piece.codePoints().map(cp -> charIds.getOrDefault(cp, -1)).toArray();
        }

        Map<Long, Long> pairCounts = new HashMap<>();
        Map<Long, Set<Integer>> where = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            addPairs(words[w], freq[w], w, pairCounts, where);
        }
        // Most frequent first; ties: lowest pair key (left id, then right id).
        PriorityQueue<long[]> queue = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0])
                : Long.compare(x[1], y[1]));
        for (Map.Entry<Long, Long> e : new TreeMap<>(pairCounts).entrySet()) {
            queue.add(new long[] {e.getValue(), e.getKey()});
        }
        Set<Long> done = new HashSet<>();
        List<Float> mergeScores = new ArrayList<>();
        while (tokens.size() < room && !queue.isEmpty()) {
            long[] top = queue.poll();
            long key = top[1];
            long current = pairCounts.getOrDefault(key, 0L);
            if (done.contains(key)) {
                continue;
            }
            if (current != top[0]) {
                if (current > 0) {
                    queue.add(new long[] {current, key});
                }
                continue;
            }
            if (current < options.minPairCount()) {
                break;
            }
            done.add(key);
            int a = (int) (key >>> 32);
            int b = (int) key;
            if (tokenChars.get(a) + tokenChars.get(b) > options.maxTokenChars()
                    || tokenHan.get(a) + tokenHan.get(b) > options.maxHanChars()) {
                continue;
            }
            String text = tokens.get(a) + tokens.get(b);
            Integer existing = ids.get(text);
            int merged;
            if (existing != null) {
                merged = existing; // another split of the same text was learnt already
            } else if (SeedlingVocab.SPECIAL_TOKENS.contains(text) || text.matches("<0x[0-9A-F]{2}>")) {
                continue; // would shadow a special or byte token
            } else {
                merged = tokens.size();
                ids.put(text, merged);
                tokens.add(text);
                tokenChars.add(tokenChars.get(a) + tokenChars.get(b));
                tokenHan.add(tokenHan.get(a) + tokenHan.get(b));
                mergeScores.add((float) -(mergeScores.size() + 1));
            }
            Set<Integer> affected = where.remove(key);
            if (affected == null) {
                continue;
            }
            Set<Long> grown = new HashSet<>();
            for (int w : affected) {
                int[] old = words[w];
                int[] next = merge(old, a, b, merged);
                if (next == old) {
                    continue;
                }
                removePairs(old, freq[w], pairCounts);
                addPairs(next, freq[w], w, pairCounts, where);
                for (int i = 1; i < next.length; i++) {
                    if (next[i - 1] == merged || next[i] == merged) {
                        grown.add(pairKey(next[i - 1], next[i]));
                    }
                }
                words[w] = next;
            }
            for (long g : grown.stream().sorted().toList()) {
                long c = pairCounts.getOrDefault(g, 0L);
                if (c > 0) {
                    queue.add(new long[] {c, g});
                }
            }
        }

        float[] scores = new float[tokens.size()];
        for (int i = 0; i < mergeScores.size(); i++) {
            scores[alphabet + i] = mergeScores.get(i);
        }
        return new SeedlingVocab(tokens, scores);
    }

    private static long pairKey(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    private static void addPairs(int[] word, long f, int w, Map<Long, Long> counts, Map<Long, Set<Integer>> where) {
        for (int i = 1; i < word.length; i++) {
            if (word[i - 1] < 0 || word[i] < 0) {
                continue;
            }
            long key = pairKey(word[i - 1], word[i]);
            counts.merge(key, f, Long::sum);
            where.computeIfAbsent(key, k -> new HashSet<>()).add(w);
        }
    }

    private static void removePairs(int[] word, long f, Map<Long, Long> counts) {
        for (int i = 1; i < word.length; i++) {
            if (word[i - 1] < 0 || word[i] < 0) {
                continue;
            }
            long key = pairKey(word[i - 1], word[i]);
            long left = counts.merge(key, -f, Long::sum);
            if (left <= 0) {
                counts.remove(key);
            }
        }
    }

    /** {@code word} with each non-overlapping a,b (left to right) replaced by {@code merged}; itself if none. */
    private static int[] merge(int[] word, int a, int b, int merged) {
        int[] out = null;
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == a && word[i + 1] == b) {
                if (out == null) {
                    out = Arrays.copyOf(word, word.length);
                    n = i;
                }
                out[n++] = merged;
                i++;
            } else if (out != null) {
                out[n++] = word[i];
            }
        }
        return out == null ? word : Arrays.copyOf(out, n);
    }

    /** Piece (spaces as ▁) to number of occurrences. */
    static Map<String, Integer> countPieces(Iterable<String> texts) {
        Map<String, Integer> counts = new HashMap<>();
        for (String text : texts) {
            for (String fragment : SPECIALS.split(text, -1)) {
                String s = fragment.replace(' ', SeedlingVocab.SPACE);
                int pieceStart = 0;
                int prevCat = -1;
                for (int i = 0; i < s.length(); ) {
                    int cp = s.codePointAt(i);
                    int cat = category(cp);
                    boolean boundary = i > 0 && prevCat != SPACE && (cat == SPACE || cat != prevCat || cat == DIGIT);
                    if (boundary) {
                        counts.merge(s.substring(pieceStart, i), 1, Integer::sum);
                        pieceStart = i;
                    }
                    prevCat = cat;
                    i += Character.charCount(cp);
                }
                if (pieceStart < s.length()) {
                    counts.merge(s.substring(pieceStart), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    private static final int SPACE = 0;
    private static final int NEWLINE = 1;
    private static final int DIGIT = 2;
    private static final int HAN = 3;
    private static final int LETTER = 4;
    private static final int OTHER = 5;

    private static int category(int cp) {
        if (cp == SeedlingVocab.SPACE) {
            return SPACE;
        }
        if (cp == '\n' || cp == '\r') {
            return NEWLINE;
        }
        if (Character.isDigit(cp)) {
            return DIGIT;
        }
        if (Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN) {
            return HAN;
        }
        if (Character.isLetter(cp) || Character.getType(cp) == Character.NON_SPACING_MARK) {
            return LETTER;
        }
        return OTHER;
    }
}
