package dev.lifelong.memory.retrieval;

import dev.lifelong.memory.Memory;

/**
 * A memory chosen for a prompt, with why: its rank in the keyword (BM25) list and in the embedding list (0 = not in
 * that list), and the fused score. Pinned memories are always included.
 */
public record RetrievedMemory(Memory memory, double score, int keywordRank, int vectorRank, float cosine,
        boolean pinned) {
}
