package dev.lifelong.assistant.auth;

import java.time.Duration;

/** A request the account rules refuse: who is asking is unknown (401), may not do this (403), or must wait (429). */
public final class AuthException extends RuntimeException {
    public enum Kind { UNAUTHORIZED, FORBIDDEN, RATE_LIMITED }

    private final Kind kind;
    private final String code;
    private final Duration retryAfter;

    public AuthException(Kind kind, String code, String message, Duration retryAfter) {
        super(message);
        this.kind = kind;
        this.code = code;
        this.retryAfter = retryAfter;
    }

    public static AuthException unauthorized(String code, String message) { return new AuthException(Kind.UNAUTHORIZED, code, message, null); }

    public static AuthException forbidden(String code, String message) { return new AuthException(Kind.FORBIDDEN, code, message, null); }

    public Kind kind() { return kind; }

    public String code() { return code; }

    /** For RATE_LIMITED: how long to wait. */
    public Duration retryAfter() { return retryAfter; }

    public int status() {
        return switch (kind) {
            case UNAUTHORIZED -> 401;
            case FORBIDDEN -> 403;
            case RATE_LIMITED -> 429;
        };
    }
}
