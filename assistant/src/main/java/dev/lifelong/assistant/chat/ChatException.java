package dev.lifelong.assistant.chat;

/** A chat request that cannot be done as asked; {@link Kind} says how the HTTP layer should answer. */
public class ChatException extends RuntimeException {
    public enum Kind { INVALID, NOT_FOUND, CONFLICT }

    private final Kind kind;

    public ChatException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() { return kind; }

    static ChatException notFound(long conversationId) {
        return new ChatException(Kind.NOT_FOUND, "conversation " + conversationId + " not found");
    }
}
