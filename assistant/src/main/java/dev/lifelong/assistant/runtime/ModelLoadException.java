package dev.lifelong.assistant.runtime;

/** A model file could not be loaded; the message is meant for the user and names the fix where there is one. */
public class ModelLoadException extends RuntimeException {
    public ModelLoadException(String message) { super(message); }
    public ModelLoadException(String message, Throwable cause) { super(message, cause); }
}
