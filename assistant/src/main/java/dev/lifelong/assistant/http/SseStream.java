package dev.lifelong.assistant.http;

import dev.lifelong.assistant.chat.ClientGoneException;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A {@code text/event-stream} response written straight to the socket, one flush per event, so tokens reach the browser
 * as they are generated. Headers are sent with the first event: until then a handler can still answer with a JSON
 * error. A failed write means the client is gone and surfaces as {@link ClientGoneException}.
 */
final class SseStream {
    private final Context ctx;
    // a lock rather than synchronized: a virtual thread blocked in a write to a slow client must not pin its carrier
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private volatile OutputStream out;

    SseStream(Context ctx) { this.ctx = ctx; }

    void event(String event, Object data) {
        write((event == null ? "" : "event: " + event + "\n") + "data: " + Json.write(data) + "\n\n");
    }

    void data(String rawData) {
        write("data: " + rawData + "\n\n");
    }

    boolean started() { return out != null; }

    private void write(String frame) {
        lock.lock();
        try {
            if (out == null) {
                HttpServletResponse res = ctx.res();
                res.setStatus(200);
                res.setContentType("text/event-stream;charset=utf-8");
                res.setHeader("Cache-Control", "no-cache");
                res.setHeader("X-Accel-Buffering", "no");
                out = res.getOutputStream();
            }
            out.write(frame.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            throw new ClientGoneException(e);
        } finally {
            lock.unlock();
        }
    }
}
