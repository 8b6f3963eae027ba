package dev.lifelong.seedling.corpus;

/** The {@code kind} of an extracted memory, as in the extraction schema. */
public enum MemoryKind {
    FACT, PREFERENCE, CORRECTION, EVENT;

    public String json() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
