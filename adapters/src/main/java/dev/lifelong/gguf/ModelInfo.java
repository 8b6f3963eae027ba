package dev.lifelong.gguf;

/**
 * What {@code doctor} and the UI show about a model file. Numbers the file does not state are 0.
 *
 * @param name general.name, or the file name without ".gguf" when the file has none
 * @param parameterCount sum of the element counts of all tensors
 * @param fileTypeLabel the tensor type holding most of the weights (e.g. "Q4_K")
 */
public record ModelInfo(String architecture, String name, long parameterCount, long contextLength,
        long embeddingLength, long blockCount, long headCount, long headCountKv, long vocabSize,
        String fileTypeLabel, boolean hasChatTemplate, long fileSizeBytes) {
}
