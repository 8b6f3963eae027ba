package dev.lifelong.assistant.chat;

/** The client that asked for an answer went away (closed the tab, network dropped, pressed Stop). */
public class ClientGoneException extends RuntimeException {
    public ClientGoneException(Throwable cause) { super("client disconnected", cause); }
}
