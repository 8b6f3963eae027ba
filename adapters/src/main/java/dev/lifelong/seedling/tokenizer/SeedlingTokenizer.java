package dev.lifelong.seedling.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Encodes and decodes text exactly as llama.cpp b4916 does for a {@link SeedlingVocab} (SPM vocabulary, no space
 * prefix, no BOS/EOS added, special tokens parsed), so that what the trainer sees is what the served model sees.
 *
 * <p>Like llama.cpp it works on the UTF-8 bytes: (1) the control and unknown token texts are cut out of the text,
 * longest first, leftmost occurrence first; (2) in each remaining piece a space becomes {@code ▁}; (3) the piece is
 * split into UTF-8 characters and adjacent symbols are merged, always the pair whose joined text is the token with the
 * highest score (leftmost on ties), until no adjacent pair forms a token; (4) each symbol becomes its token, or its
 * bytes become byte tokens. Thread-safe: all state lives in a call.
 */
public final class SeedlingTokenizer {
    private static final byte[] SPACE_ESCAPED = "\u2581".getBytes(StandardCharsets.UTF_8);
    /** Length of a UTF-8 sequence by the high nibble of its first byte, as llama.cpp's unicode_len_utf8. */
    private static final int[] UTF8_LEN = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};

    private final SeedlingVocab vocab;
    /** Token text as UTF-8 bytes held one byte per char (ISO-8859-1), to id. */
    private final Map<String, Integer> byBytes;
    private final byte[][] pieces;
    /** Control and unknown tokens, longest text first (ids, then their UTF-8 texts). */
    private final int[] specialIds;
    private final byte[][] specialTexts;

    public SeedlingTokenizer(SeedlingVocab vocab) {
        this.vocab = vocab;
        int n = vocab.size();
        byBytes = new HashMap<>(n * 2);
        pieces = new byte[n][];
        List<Integer> specials = new ArrayList<>();
        for (int id = 0; id < n; id++) {
            byte[] utf8 = vocab.token(id).getBytes(StandardCharsets.UTF_8);
            byBytes.put(new String(utf8, StandardCharsets.ISO_8859_1), id);
            int type = vocab.type(id);
            if (type == SeedlingVocab.TYPE_CONTROL || type == SeedlingVocab.TYPE_UNKNOWN) {
                specials.add(id);
                pieces[id] = utf8;
            } else if (type == SeedlingVocab.TYPE_BYTE) {
                pieces[id] = new byte[] {(byte) Integer.parseInt(vocab.token(id).substring(3, 5), 16)};
            } else {
                pieces[id] = vocab.token(id).replace(SeedlingVocab.SPACE, ' ').getBytes(StandardCharsets.UTF_8);
            }
        }
        specials.sort(Comparator.comparingInt((Integer id) -> -vocab.token(id).getBytes(StandardCharsets.UTF_8).length)
                .thenComparingInt(id -> id));
        specialIds = specials.stream().mapToInt(Integer::intValue).toArray();
        specialTexts = new byte[specialIds.length][];
        for (int i = 0; i < specialIds.length; i++) {
            specialTexts[i] = vocab.token(specialIds[i]).getBytes(StandardCharsets.UTF_8);
        }
    }

    public SeedlingVocab vocab() {
        return vocab;
    }

    /** Token ids of {@code text}; special token texts such as {@code <|im_end|>} become their control token. */
    public int[] encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        List<Fragment> fragments = new ArrayList<>();
        if (bytes.length > 0) {
            fragments.add(new Fragment(-1, 0, bytes.length));
        }
        for (int s = 0; s < specialIds.length; s++) {
            fragments = partition(fragments, bytes, specialIds[s], specialTexts[s]);
        }
        IntList out = new IntList();
        for (Fragment f : fragments) {
            if (f.token >= 0) {
                out.add(f.token);
            } else {
                new Session(escapeSpaces(bytes, f.offset, f.length)).tokenize(out);
            }
        }
        return out.toArray();
    }

    /** The text of {@code ids}; special tokens are written as their text, like llama.cpp's piece with special=true. */
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 0 || id >= pieces.length) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length);
            }
            out.writeBytes(pieces[id]);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The UTF-8 bytes token {@code id} stands for. */
    public byte[] piece(int id) {
        return pieces[id].clone();
    }

    private record Fragment(int token, int offset, int length) {
    }

    private static List<Fragment> partition(List<Fragment> in, byte[] bytes, int id, byte[] special) {
        List<Fragment> out = new ArrayList<>(in.size() + 2);
        for (Fragment f : in) {
            if (f.token >= 0) {
                out.add(f);
                continue;
            }
            int start = f.offset;
            int end = f.offset + f.length;
            while (true) {
                int match = indexOf(bytes, start, end, special);
                if (match < 0) {
                    if (end > start) {
                        out.add(new Fragment(-1, start, end - start));
                    }
                    break;
                }
                if (match > start) {
                    out.add(new Fragment(-1, start, match - start));
                }
                out.add(new Fragment(id, 0, 0));
                start = match + special.length;
            }
        }
        return out;
    }

    private static int indexOf(byte[] bytes, int from, int end, byte[] pattern) {
        outer:
        for (int i = from; i + pattern.length <= end; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] escapeSpaces(byte[] bytes, int offset, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 8);
        for (int i = offset; i < offset + length; i++) {
            if (bytes[i] == ' ') {
                out.writeBytes(SPACE_ESCAPED);
            } else {
                out.write(bytes[i]);
            }
        }
        return out.toByteArray();
    }

    private int lookup(byte[] text, int offset, int length) {
        Integer id = byBytes.get(new String(text, offset, length, StandardCharsets.ISO_8859_1));
        return id == null ? -1 : id;
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    /** One piece of text being merged: symbols are a linked list over the piece's characters. */
    private final class Session {
        private final byte[] text;
        private final int[] start;
        private final int[] n;
        private final int[] prev;
        private final int[] next;
        // Highest score first, then leftmost; compared as llama.cpp compares floats (so -0 equals 0).
        private final PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score > b.score ? -1
                : a.score < b.score ? 1 : Integer.compare(a.left, b.left));
        private final Map<String, int[]> revMerge = new HashMap<>();

        Session(byte[] text) {
            this.text = text;
            int count = 0;
            int[] starts = new int[text.length];
            int[] lens = new int[text.length];
            for (int off = 0; off < text.length; ) {
                int len = Math.min(UTF8_LEN[(text[off] & 0xFF) >>> 4], text.length - off);
                starts[count] = off;
                lens[count] = len;
                count++;
                off += len;
            }
            start = Arrays.copyOf(starts, count);
            n = Arrays.copyOf(lens, count);
            prev = new int[count];
            next = new int[count];
            for (int i = 0; i < count; i++) {
                prev[i] = i - 1;
                next[i] = i + 1 == count ? -1 : i + 1;
            }
        }

        void tokenize(IntList out) {
            for (int i = 1; i < start.length; i++) {
                tryAddBigram(i - 1, i);
            }
            while (!queue.isEmpty()) {
                Bigram b = queue.poll();
                int l = b.left;
                int r = b.right;
                if (n[l] == 0 || n[r] == 0 || n[l] + n[r] != b.size) {
                    continue; // stale: one side has merged since
                }
                n[l] += n[r];
                n[r] = 0;
                next[l] = next[r];
                if (next[r] >= 0) {
                    prev[next[r]] = l;
                }
                tryAddBigram(prev[l], l);
                tryAddBigram(l, next[l]);
            }
            for (int i = 0; i != -1 && start.length > 0; i = next[i]) {
                resegment(i, out);
            }
        }

        private void resegment(int symbol, IntList out) {
            int id = lookup(text, start[symbol], n[symbol]);
            if (id >= 0) {
                out.add(id);
                return;
            }
            int[] pair = revMerge.get(new String(text, start[symbol], n[symbol], StandardCharsets.ISO_8859_1));
            if (pair == null) {
                for (int j = 0; j < n[symbol]; j++) {
                    out.add(SeedlingVocab.FIRST_BYTE_ID + (text[start[symbol] + j] & 0xFF));
                }
                return;
            }
            resegment(pair[0], out);
            resegment(pair[1], out);
        }

        private void tryAddBigram(int left, int right) {
            if (left == -1 || right == -1) {
                return;
            }
            int size = n[left] + n[right];
            int id = lookup(text, start[left], size);
            if (id < 0) {
                return;
            }
            queue.add(new Bigram(left, right, vocab.score(id), size));
            revMerge.put(new String(text, start[left], size, StandardCharsets.ISO_8859_1), new int[] {left, right});
        }
    }

    /** A growable int array. */
    static final class IntList {
        private int[] values = new int[16];
        private int size;

        void add(int v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
