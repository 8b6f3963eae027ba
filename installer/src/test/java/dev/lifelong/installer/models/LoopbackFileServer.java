package dev.lifelong.installer.models;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP server on 127.0.0.1 serving one generated file, with faults switched on per test. */
final class LoopbackFileServer implements AutoCloseable {

    final byte[] content;
    final String sha256;
    /** The Range header of every request to the file ("" when absent). */
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();

    volatile boolean honourRange = true;
    /** When >= 0, the first request gets this many bytes and then the connection is dropped. */
    volatile long cutFirstResponseAfter = -1;
    /** When >= 0, the first request gets this many bytes and then nothing for {@link #STALL_MILLIS}. */
    volatile long stallFirstResponseAfter = -1;
    static final long STALL_MILLIS = 3000;
    /** Answer this many requests with 503 first. */
    final AtomicInteger failuresToServe = new AtomicInteger();

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();

    LoopbackFileServer(int size) throws Exception {
        content = new byte[size];
        new Random(42).nextBytes(content);
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/model.gguf", this::serve);
        server.createContext("/moved.gguf", exchange -> {
            exchange.getResponseHeaders().add("Location", "/model.gguf");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.setExecutor(executor);
        server.start();
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    URI fileUri() {
        return uri("/model.gguf");
    }

    private void serve(HttpExchange exchange) throws IOException {
        int n = requests.incrementAndGet();
        String range = exchange.getRequestHeaders().getFirst("Range");
        ranges.add(range == null ? "" : range);
        if (failuresToServe.getAndUpdate(f -> Math.max(0, f - 1)) > 0) {
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
        }
        long start = 0;
        int status = 200;
        if (range != null && honourRange) {
            start = Long.parseLong(range.substring("bytes=".length(), range.indexOf('-')));
            if (start >= content.length) {
                exchange.getResponseHeaders().add("Content-Range", "bytes */" + content.length);
                exchange.sendResponseHeaders(416, -1);
                exchange.close();
                return;
            }
            status = 206;
            exchange.getResponseHeaders().add("Content-Range",
                    "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = (int) (content.length - start);
        exchange.sendResponseHeaders(status, length);
        OutputStream body = exchange.getResponseBody();
        if (n == 1 && cutFirstResponseAfter >= 0) {
            body.write(content, (int) start, (int) cutFirstResponseAfter);
            body.flush();
            sleep(300); // let the client drain what it got before the connection drops
            throw new IOException("test server drops the connection on purpose");
        }
        if (n == 1 && stallFirstResponseAfter >= 0) {
            body.write(content, (int) start, (int) stallFirstResponseAfter);
            body.flush();
            sleep(STALL_MILLIS);
            throw new IOException("test server gives up on the stalled response");
        }
        body.write(content, (int) start, length);
        body.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
