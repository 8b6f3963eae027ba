package dev.lifelong.assistant.runtime;

/** The prompt does not fit in the context window; the user can start a new conversation or raise context-size. */
public class PromptTooLongException extends RuntimeException {
    public PromptTooLongException(String message) { super(message); }
}
