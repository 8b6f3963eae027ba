package dev.lifelong.assistant.http;

/** An HTTP error with the OpenAI error shape: status, type, code and a message meant for the user. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    /** The request field at fault (OpenAI's {@code error.param}), or null. */
    private final String param;

    public ApiException(int status, String type, String code, String message) {
        this(status, type, code, message, null);
    }

    public ApiException(int status, String type, String code, String message, String param) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, "invalid_request_error", code, message);
    }

    /** A 400 that names the request field at fault, so that a client can tell which of its inputs to change. */
    public static ApiException badRequest(String code, String message, String param) {
        return new ApiException(400, "invalid_request_error", code, message, param);
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(404, "not_found_error", code, message);
    }

    public int status() { return status; }
    public String type() { return type; }
    public String code() { return code; }
    public String param() { return param; }
}
