package dev.lifelong.assistant.chat;

/** A chat request that cannot be done as asked; {@link Kind} says how the HTTP layer should answer. */
public class ChatException extends RuntimeException {
    public enum Kind { INVALID, NOT_FOUND, CONFLICT }

    private final Kind kind;
    private final String code;

    public ChatException(Kind kind, String message) {
        this(kind, null, message);
    }

    private ChatException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public Kind kind() { return kind; }

    /** For NOT_FOUND: what was not found, as the error code ({@code conversation_not_found}, {@code message_not_found}). */
    public String code() { return code == null ? "conversation_not_found" : code; }

    /** Missing and another user's look the same. */
    static ChatException notFound(long conversationId) {
        return new ChatException(Kind.NOT_FOUND, "conversation_not_found", "conversation " + conversationId + " not found");
    }

    /** Missing and another user's look the same. */
    static ChatException messageNotFound(long messageId) {
        return new ChatException(Kind.NOT_FOUND, "message_not_found", "no message with id " + messageId);
    }
}
