package dev.lifelong.assistant.model;

/** A request needs a model but none is loaded (503 over HTTP). */
public class ModelNotLoadedException extends RuntimeException {
    public ModelNotLoadedException(String message) { super(message); }
}
