package dev.lifelong.assistant.memory;

import dev.lifelong.memory.MemoryKind;

/** A durable memory the extractor found in an exchange, before it is stored. */
public record ExtractedMemory(MemoryKind kind, String text) {
}
