package dev.lifelong.assistant.runtime;

/** The native runtime failed while generating (context overflow, internal error). */
public class GenerationException extends RuntimeException {
    public GenerationException(String message, Throwable cause) { super(message, cause); }
}
