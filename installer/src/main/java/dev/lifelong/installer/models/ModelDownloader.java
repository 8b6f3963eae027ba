package dev.lifelong.installer.models;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches one large file over HTTP(S) into {@code target}, resumably and verifiably.
 *
 * <p>Bytes go to {@code target + ".part"}; an existing part is resumed with a {@code Range} request. The SHA-256
 * is computed while writing (an existing part is hashed once before appending), so the finished file is never
 * re-read. Only a file whose size and hash match is fsynced and atomically renamed to {@code target}; a mismatch
 * deletes the part. Transient failures (I/O errors, HTTP 5xx/429) are retried with exponential backoff, each
 * retry resuming where the last one stopped.
 */
public final class ModelDownloader {

    private static final Logger log = LoggerFactory.getLogger(ModelDownloader.class);
    private static final int BUFFER_BYTES = 64 * 1024;
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient client;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration stallTimeout;

    /** 5 attempts, backoff starting at 1 s, redirects followed, 30 s connect timeout, 60 s stall timeout. */
    public ModelDownloader() {
        this(defaultClient(), 5, Duration.ofSeconds(1));
    }

    public ModelDownloader(HttpClient client, int maxAttempts, Duration initialBackoff) {
        this(client, maxAttempts, initialBackoff, Duration.ofSeconds(60));
    }

    /**
     * @param stallTimeout a connection that delivers no bytes for this long is dropped and the download resumed
     *                     (the client's request timeout only covers the wait for the response headers)
     */
    public ModelDownloader(HttpClient client, int maxAttempts, Duration initialBackoff, Duration stallTimeout) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1");
        }
        this.client = Objects.requireNonNull(client, "client");
        this.maxAttempts = maxAttempts;
        this.initialBackoff = Objects.requireNonNull(initialBackoff, "initialBackoff");
        this.stallTimeout = Objects.requireNonNull(stallTimeout, "stallTimeout");
        if (stallTimeout.isNegative() || stallTimeout.isZero()) {
            throw new IllegalArgumentException("stallTimeout must be positive");
        }
    }

    public static HttpClient defaultClient() {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30))
                .build();
    }

    /** Where the bytes of an unfinished download of {@code target} are kept. */
    public static Path partFileFor(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    /**
     * Downloads {@code url} to {@code target}.
     *
     * @param expectedSha256 lowercase hex SHA-256 of the whole file; required (a download we cannot verify is refused)
     * @param expectedSize   size in bytes, or -1 if unknown
     * @param cancelled      polled between reads; when it turns true the part is kept and
     *                       {@link DownloadCancelledException} is thrown
     * @return {@code target}
     */
    public Path download(URI url, Path target, String expectedSha256, long expectedSize,
                         ProgressListener listener, BooleanSupplier cancelled) throws ModelDownloadException {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(target, "target");
        ProgressListener progress = listener == null ? ProgressListener.NONE : listener;
        BooleanSupplier isCancelled = cancelled == null ? () -> false : cancelled;
        if (expectedSha256 == null || expectedSha256.isBlank()) {
            throw new ModelDownloadException("no pinned checksum for " + target.getFileName()
                    + "; download it yourself and use --model PATH");
        }
        String expectedHash = expectedSha256.toLowerCase(Locale.ROOT);
        Path part = partFileFor(target);
        PartFile state;
        try {
            Path dir = target.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            state = PartFile.open(part, expectedSize, progress);
        } catch (IOException e) {
            throw new ModelDownloadException("could not prepare " + part + ": " + e.getMessage(), e);
        }

        IOException lastFailure = null;
        boolean restartedFromScratch = false;
        for (int attempt = 1; attempt <= maxAttempts; attempt++) {
            if (attempt > 1 && lastFailure != null) {
                Duration wait = initialBackoff.multipliedBy(1L << Math.min(attempt - 2, 10));
                progress.onMessage("retrying in " + wait.toMillis() + " ms (attempt " + attempt + " of "
                        + maxAttempts + "): " + lastFailure.getMessage());
                sleep(wait, isCancelled, state);
            }
            try {
                if (fetch(url, state, expectedSize, progress, isCancelled, expectedHash)) {
                    if (state.resumed && !restartedFromScratch && !state.matches(expectedHash, expectedSize)) {
                        // Old bytes (a stale or damaged part) may be to blame, not the server: one clean try.
                        progress.onMessage("the resumed download does not verify; downloading it again from the start");
                        state.reset();
                        restartedFromScratch = true;
                        lastFailure = null;
                        attempt--;
                        continue;
                    }
                    return finish(url, target, state, expectedHash, expectedSize);
                }
                lastFailure = null; // the part was discarded; start again at once
            } catch (ModelDownloadException e) {
                throw e;
            } catch (IOException e) {
                log.debug("attempt {} of {} for {} failed", attempt, maxAttempts, url, e);
                lastFailure = e;
            }
        }
        if (lastFailure == null) {
            throw new ModelDownloadException("could not download " + url + ": the server kept sending data that "
                    + "did not continue the partial file");
        }
        if (isUnreachable(lastFailure)) {
            throw new ModelDownloadException("could not reach host " + url.getHost() + " (offline?): "
                    + describe(lastFailure), lastFailure);
        }
        throw new ModelDownloadException("download of " + url + " failed after " + maxAttempts + " attempts: "
                + describe(lastFailure) + "; the " + state.length + " bytes received are kept in " + part
                + " and will be resumed next time", lastFailure);
    }

    /** One HTTP exchange. Returns true when the part holds the whole file, false when it was discarded. */
    private boolean fetch(URI url, PartFile state, long expectedSize, ProgressListener progress,
                          BooleanSupplier cancelled, String expectedHash) throws IOException {
        state.resync(progress);
        if (expectedSize > 0 && state.length == expectedSize) {
            return true; // nothing left to fetch; finish() verifies
        }
        if (cancelled.getAsBoolean()) {
            throw state.cancelled();
        }
        long offset = state.length;
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().timeout(REQUEST_TIMEOUT)
                .header("User-Agent", "Lifelong-installer");
        if (offset > 0) {
            request.header("Range", "bytes=" + offset + "-");
            progress.onMessage("resuming at " + ConsoleProgressBar.mib(offset) + " MiB");
        }
        HttpResponse<InputStream> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw state.cancelled();
        }
        try (InputStream body = response.body()) {
            int status = response.statusCode();
            long contentLength = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            switch (status) {
                case 200 -> {
                    if (offset > 0) {
                        progress.onMessage("the server does not support resuming; starting over");
                        state.reset();
                    }
                }
                case 206 -> {
                    long start = contentRangeStart(response);
                    if (start != offset) {
                        progress.onMessage("the server resumed at byte " + start + " instead of " + offset
                                + "; starting over");
                        state.reset();
                        return false;
                    }
                    if (contentLength >= 0) {
                        contentLength += offset;
                    }
                    state.resumed = true;
                }
                case 416 -> {
                    // The part is at least as long as the file: it is either complete or garbage.
                    if (offset > 0 && (expectedSize <= 0 || offset == expectedSize)
                            && state.currentHash().equals(expectedHash)) {
                        return true;
                    }
                    progress.onMessage("the partial download does not match the file on the server; starting over");
                    state.reset();
                    return false;
                }
                case 404, 410 -> throw new ModelDownloadException("not found (HTTP " + status + "): " + url
                        + " — the model may have been moved or removed upstream");
                case 401, 403 -> throw new ModelDownloadException("access denied (HTTP " + status + "): " + url
                        + " — the model may be gated or the link may have changed");
                default -> {
                    if (status == 429 || status >= 500) {
                        throw new IOException("HTTP " + status + " from " + url.getHost());
                    }
                    throw new ModelDownloadException("unexpected HTTP " + status + " from " + url);
                }
            }
            long serverTotal = status == 206 ? contentRangeTotal(response) : contentLength;
            if (expectedSize > 0 && serverTotal >= 0 && serverTotal != expectedSize) {
                state.delete();
                throw new ModelDownloadException("the server offers " + serverTotal + " bytes at " + url
                        + " but " + expectedSize + " were expected; the file may have been replaced upstream or "
                        + "corrupted. Nothing was kept.");
            }
            long total = expectedSize > 0 ? expectedSize : contentLength;
            try (StallWatchdog watchdog = new StallWatchdog(body, stallTimeout)) {
                try {
                    state.append(watchdog.stream(), total, progress, cancelled);
                } catch (DownloadCancelledException e) {
                    throw e;
                } catch (IOException e) {
                    throw watchdog.stalled() ? watchdog.failure() : e;
                }
                if (watchdog.stalled()) {
                    throw watchdog.failure();
                }
            }
            if (expectedSize > 0 && state.length < expectedSize) {
                throw new IOException("connection closed after " + state.length + " of " + expectedSize + " bytes");
            }
            if (contentLength >= 0 && state.length < contentLength) {
                throw new IOException("connection closed after " + state.length + " of " + contentLength + " bytes");
            }
            return true;
        }
    }

    private Path finish(URI url, Path target, PartFile state, String expectedHash, long expectedSize)
            throws ModelDownloadException {
        String actualHash = state.currentHash();
        if (expectedSize > 0 && state.length != expectedSize) {
            state.delete();
            throw new ModelDownloadException("downloaded " + target.getFileName() + " has " + state.length
                    + " bytes, expected " + expectedSize + " (from " + url + "); the file may have been replaced "
                    + "upstream or corrupted. The partial file was deleted.");
        }
        if (!actualHash.equals(expectedHash)) {
            state.delete();
            throw new ModelDownloadException("checksum mismatch for " + target.getFileName() + " from " + url
                    + ": expected sha256 " + expectedHash + ", got " + actualHash
                    + "; the file may have been replaced upstream or corrupted. The partial file was deleted.");
        }
        try {
            state.force();
            try {
                Files.move(state.path, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(state.path, target, StandardCopyOption.REPLACE_EXISTING);
            }
            fsyncDirectory(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new ModelDownloadException("could not move the verified download into place at " + target
                    + ": " + e.getMessage(), e);
        }
        log.info("downloaded {} ({} bytes, sha256 {})", target, state.length, actualHash);
        return target;
    }

    private static long contentRangeStart(HttpResponse<?> response) throws IOException {
        String header = response.headers().firstValue("Content-Range").orElse("");
        Matcher m = CONTENT_RANGE.matcher(header.trim());
        if (!m.matches()) {
            throw new IOException("partial response without a usable Content-Range header: '" + header + "'");
        }
        return Long.parseLong(m.group(1));
    }

    private static long contentRangeTotal(HttpResponse<?> response) {
        Matcher m = CONTENT_RANGE.matcher(response.headers().firstValue("Content-Range").orElse("").trim());
        return m.matches() && !"*".equals(m.group(3)) ? Long.parseLong(m.group(3)) : -1;
    }

    private static void sleep(Duration wait, BooleanSupplier cancelled, PartFile state)
            throws DownloadCancelledException {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                if (cancelled.getAsBoolean()) {
                    throw state.cancelled();
                }
                Thread.sleep(Math.min(50, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw state.cancelled();
        }
    }

    private static boolean isUnreachable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof UnresolvedAddressException || t instanceof NoRouteToHostException
                    || t instanceof HttpConnectTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable failure) {
        String message = failure.getMessage();
        return message == null || message.isBlank() ? failure.getClass().getSimpleName() : message;
    }

    static void fsyncDirectory(Path dir) {
        if (dir == null) {
            return;
        }
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Some platforms (Windows) cannot open a directory; the rename itself is still atomic there.
            log.debug("could not fsync directory {}", dir, e);
        }
    }

    /** Closes a response body that has delivered nothing for too long, so that a blocked read returns. */
    private static final class StallWatchdog implements AutoCloseable {
        private final InputStream body;
        private final Duration timeout;
        private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        private volatile boolean stalled;
        private final Thread thread;

        StallWatchdog(InputStream body, Duration timeout) {
            this.body = body;
            this.timeout = timeout;
            this.thread = Thread.ofVirtual().name("download-stall-watchdog").start(this::watch);
        }

        InputStream stream() {
            return new FilterInputStream(body) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    lastActivity.set(System.nanoTime());
                    return n;
                }
            };
        }

        private void watch() {
            long limit = timeout.toNanos();
            try {
                while (true) {
                    long idle = System.nanoTime() - lastActivity.get();
                    if (idle >= limit) {
                        stalled = true;
                        body.close();
                        return;
                    }
                    Thread.sleep(Math.max(1, (limit - idle) / 1_000_000));
                }
            } catch (InterruptedException e) {
                // download finished first
            } catch (IOException e) {
                log.debug("closing a stalled response body failed", e);
            }
        }

        boolean stalled() {
            return stalled;
        }

        IOException failure() {
            return new IOException("no data received for " + timeout.toSeconds() + " s; the connection stalled");
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    /** The .part file together with the running hash of exactly the bytes it holds. */
    private static final class PartFile {
        final Path path;
        final MessageDigest digest;
        long length;
        /** Whether some of the bytes came from an earlier request or an earlier run. */
        boolean resumed;

        private PartFile(Path path) {
            this.path = path;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this JDK has no SHA-256", e);
            }
        }

        static PartFile open(Path path, long expectedSize, ProgressListener progress) throws IOException {
            PartFile part = new PartFile(path);
            if (Files.exists(path)) {
                long size = Files.size(path);
                if (expectedSize > 0 && size > expectedSize) {
                    progress.onMessage("discarding a partial download larger than the file itself");
                    Files.delete(path);
                } else if (size > 0) {
                    part.rehash(progress);
                    part.resumed = true;
                }
            }
            return part;
        }

        /** Makes the digest agree with the file again after a failure mid-write. */
        void resync(ProgressListener progress) throws IOException {
            long onDisk = Files.exists(path) ? Files.size(path) : 0;
            if (onDisk != length) {
                rehash(progress);
            }
        }

        private void rehash(ProgressListener progress) throws IOException {
            digest.reset();
            length = 0;
            if (!Files.exists(path)) {
                return;
            }
            progress.onMessage("checking the " + ConsoleProgressBar.mib(Files.size(path))
                    + " MiB already downloaded");
            byte[] buffer = new byte[BUFFER_BYTES];
            try (InputStream in = Files.newInputStream(path)) {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    digest.update(buffer, 0, n);
                    length += n;
                }
            }
        }

        void append(InputStream body, long total, ProgressListener progress, BooleanSupplier cancelled)
                throws IOException {
            byte[] buffer = new byte[BUFFER_BYTES];
            try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                try {
                    progress.onProgress(length, total);
                    while (true) {
                        if (cancelled.getAsBoolean()) {
                            throw cancelled();
                        }
                        int n = body.read(buffer);
                        if (n < 0) {
                            break;
                        }
                        ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                        while (chunk.hasRemaining()) {
                            out.write(chunk);
                        }
                        digest.update(buffer, 0, n);
                        length += n;
                        progress.onProgress(length, total);
                    }
                } finally {
                    out.force(false);
                }
            }
        }

        void reset() throws IOException {
            Files.deleteIfExists(path);
            digest.reset();
            length = 0;
            resumed = false;
        }

        boolean matches(String expectedHash, long expectedSize) {
            return (expectedSize <= 0 || length == expectedSize) && currentHash().equals(expectedHash);
        }

        void delete() {
            try {
                reset();
            } catch (IOException e) {
                log.warn("could not delete {}", path, e);
            }
        }

        void force() throws IOException {
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
        }

        String currentHash() {
            try {
                return HexFormat.of().formatHex(((MessageDigest) digest.clone()).digest());
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
            }
        }

        DownloadCancelledException cancelled() {
            return new DownloadCancelledException(path, length);
        }
    }
}
