package dev.lifelong.assistant.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/1.1 over a plain socket, for requests that java.net.http refuses to send (a malformed URI, invalid UTF-8 in the
 * request line) and for bodies the server rejects before reading them all (it answers 413 and closes; the response is
 * read even when the rest of the upload fails).
 */
final class RawHttp {
    record Response(int status, String headers, String body) {}

    private RawHttp() {}

    static Response send(int port, String method, String target, String bearer, byte[] body) throws IOException {
        java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();
        if (bearer != null) headers.put("Authorization", "Bearer " + bearer);
        headers.put("Content-Type", "application/json");
        return send(port, method, target, headers, body, 120_000);
    }

    /**
     * A request with exactly these headers (plus Host, unless given, Content-Length and Connection: close); gives up
     * reading after {@code timeoutMillis} without data (SocketTimeoutException).
     */
    static Response send(int port, String method, String target, java.util.Map<String, String> headers, byte[] body,
            int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(timeoutMillis);
            StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
            if (headers.keySet().stream().noneMatch("Host"::equalsIgnoreCase)) head.append("Host: 127.0.0.1:").append(port).append("\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
            var out = s.getOutputStream();
            try {
                out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            } catch (IOException serverStoppedReading) {
                // the server answered early (e.g. 413) and closed its side; its answer is still there to read
            }
            byte[] all = readAll(s.getInputStream());
            String text = new String(all, StandardCharsets.ISO_8859_1);
            int split = text.indexOf("\r\n\r\n");
            if (split < 0) throw new IOException("no complete response: " + text);
            String responseHeaders = text.substring(0, split);
            int status = Integer.parseInt(responseHeaders.substring(9, 12));
            byte[] raw = java.util.Arrays.copyOfRange(all, split + 4, all.length);
            if (responseHeaders.toLowerCase().contains("transfer-encoding: chunked")) raw = dechunk(raw);
            return new Response(status, responseHeaders, new String(raw, StandardCharsets.UTF_8));
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        int n;
        try {
            while ((n = in.read(b)) > 0) buf.write(b, 0, n);
        } catch (java.net.SocketException reset) {
            // a reset after the response was sent: keep what arrived
        }
        return buf.toByteArray();
    }

    private static byte[] dechunk(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < raw.length) {
            int eol = i;
            while (eol + 1 < raw.length && !(raw[eol] == '\r' && raw[eol + 1] == '\n')) eol++;
            if (eol + 1 >= raw.length) break;
            String size = new String(raw, i, eol - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int n = size.isEmpty() ? 0 : Integer.parseInt(size, 16);
            if (n == 0) break;
            int start = eol + 2;
            out.write(raw, start, Math.min(n, raw.length - start));
            i = start + n + 2;
        }
        return out.toByteArray();
    }
}
