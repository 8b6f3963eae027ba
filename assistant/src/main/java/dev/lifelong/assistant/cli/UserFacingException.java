package dev.lifelong.assistant.cli;

/** An error whose message is the whole story for the user: printed without a stack trace. */
public class UserFacingException extends RuntimeException {
    public UserFacingException(String message) { super(message); }
}
