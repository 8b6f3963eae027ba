package dev.lifelong.assistant.http;

/** An HTTP error with the OpenAI error shape: status, type, code and a message meant for the user. */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;

    public ApiException(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    public static ApiException badRequest(String code, String message) {
        return new ApiException(400, "invalid_request_error", code, message);
    }

    public static ApiException notFound(String code, String message) {
        return new ApiException(404, "not_found_error", code, message);
    }

    public int status() { return status; }
    public String type() { return type; }
    public String code() { return code; }
}
