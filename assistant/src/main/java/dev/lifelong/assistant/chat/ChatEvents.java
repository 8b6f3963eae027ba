package dev.lifelong.assistant.chat;

import dev.lifelong.memory.Message;

/**
 * What a streaming answer reports, in order: {@code user} (send/edit only), {@code start}, {@code memories}, {@code token}*, then
 * {@code done} or {@code error}. An implementation that can no longer deliver (client gone) throws
 * {@link ClientGoneException}; the answer is then stopped and kept as partial.
 */
public interface ChatEvents {
    void user(Message stored);
    void start(long assistantMessageId);
    /** The memories the prompt contains (possibly none), after {@code start} and before the first token. */
    default void memories(java.util.List<dev.lifelong.memory.Memory> used) {}
    void token(String text);
    void done(Message stored);
    void error(Message stored, RuntimeException cause);
}
