package dev.lifelong.memory;

import java.util.Locale;

/** What a memory records. The wire names are those of the extraction schema ({"kind": "fact|preference|..."}). */
public enum MemoryKind {
    FACT, PREFERENCE, CORRECTION, EVENT;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @throws IllegalArgumentException naming the accepted values */
    public static MemoryKind fromWire(String name) {
        if (name != null) {
            for (MemoryKind k : values()) if (k.wireName().equals(name)) return k;
        }
        throw new IllegalArgumentException("kind must be one of fact, preference, correction, event; not '" + name + "'");
    }
}
