package dev.lifelong.gguf;

/**
 * A GGUF file cannot be used. The message is written for the user: it names the file (where known) and says what is
 * wrong with it, so that it can be shown as is by {@code doctor} and the UI.
 */
public class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
