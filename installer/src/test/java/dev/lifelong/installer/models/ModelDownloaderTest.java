package dev.lifelong.installer.models;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelDownloaderTest {

    private static final int SIZE = 3 * 1024 * 1024 + 12345;

    @TempDir
    Path dir;
    LoopbackFileServer server;
    ModelDownloader downloader;
    Path target;

    @BeforeEach
    void start() throws Exception {
        server = new LoopbackFileServer(SIZE);
        downloader = new ModelDownloader(ModelDownloader.defaultClient(), 3, Duration.ofMillis(10));
        target = dir.resolve("models").resolve("model.gguf");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Path part() {
        return ModelDownloader.partFileFor(target);
    }

    @Test
    void downloadsWholeFileAndVerifiesIt() throws Exception {
        Path result = downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(result).isEqualTo(target);
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
        assertThat(part()).doesNotExist();
        assertThat(server.ranges).containsExactly("");
    }

    @Test
    void followsRedirects() throws Exception {
        downloader.download(server.uri("/moved.gguf"), target, server.sha256, SIZE, null, () -> false);

        assertThat(ModelStore.sha256(target)).isEqualTo(server.sha256);
    }

    @Test
    void reportsMonotonicProgressUpToTotal() throws Exception {
        List<long[]> calls = new ArrayList<>();
        downloader.download(server.fileUri(), target, server.sha256, SIZE,
                (done, total) -> calls.add(new long[]{done, total}), () -> false);

        assertThat(calls).hasSizeGreaterThan(2);
        for (int i = 1; i < calls.size(); i++) {
            assertThat(calls.get(i)[0]).isGreaterThanOrEqualTo(calls.get(i - 1)[0]);
        }
        assertThat(calls).allSatisfy(c -> assertThat(c[1]).isEqualTo(SIZE));
        assertThat(calls.getLast()[0]).isEqualTo(SIZE);
    }

    @Test
    void resumesWithRangeAfterTheConnectionDrops() throws Exception {
        long cut = 1_000_003;
        server.cutFirstResponseAfter = cut;
        List<String> messages = new ArrayList<>();
        ProgressListener listener = new ProgressListener() {
            @Override
            public void onProgress(long done, long total) {
            }

            @Override
            public void onMessage(String line) {
                messages.add(line);
            }
        };

        downloader.download(server.fileUri(), target, server.sha256, SIZE, listener, () -> false);

        assertThat(server.ranges).containsExactly("", "bytes=" + cut + "-");
        assertThat(ModelStore.sha256(target)).isEqualTo(server.sha256);
        assertThat(part()).doesNotExist();
        assertThat(messages).anyMatch(m -> m.startsWith("retrying")).anyMatch(m -> m.startsWith("resuming"));
    }

    @Test
    void resumesAfterTheConnectionStalls() throws Exception {
        long stallAt = 800_001;
        server.stallFirstResponseAfter = stallAt;
        ModelDownloader impatient = new ModelDownloader(ModelDownloader.defaultClient(), 3, Duration.ofMillis(10),
                Duration.ofMillis(400));
        long started = System.nanoTime();

        impatient.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.ranges).containsExactly("", "bytes=" + stallAt + "-");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
        // It gave up on the stalled connection rather than waiting for the server to drop it.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(LoopbackFileServer.STALL_MILLIS));
    }

    @Test
    void startsOverWhenTheServerIgnoresRange() throws Exception {
        server.honourRange = false;
        Files.createDirectories(target.getParent());
        Files.write(part(), Arrays.copyOf(server.content, 500_000));

        downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.ranges).containsExactly("bytes=500000-");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void aCompletePartAnswered416IsVerifiedAndKept() throws Exception {
        Files.createDirectories(target.getParent());
        Files.write(part(), server.content);

        // Size unknown, so the downloader has to ask the server, which answers 416.
        downloader.download(server.fileUri(), target, server.sha256, -1, null, () -> false);

        assertThat(server.ranges).containsExactly("bytes=" + SIZE + "-");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void aGarbagePartAnswered416IsDiscardedAndRefetched() throws Exception {
        Files.createDirectories(target.getParent());
        byte[] garbage = new byte[SIZE + 10];
        Files.write(part(), garbage);

        downloader.download(server.fileUri(), target, server.sha256, -1, null, () -> false);

        assertThat(server.ranges).containsExactly("bytes=" + (SIZE + 10) + "-", "");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void aStaleFullLengthPartThatDoesNotVerifyIsRefetchedOnce() throws Exception {
        Files.createDirectories(target.getParent());
        Files.write(part(), new byte[SIZE]);

        downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.ranges).containsExactly("");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void aDamagedResumedPartIsRefetchedOnceFromTheStart() throws Exception {
        Files.createDirectories(target.getParent());
        Files.write(part(), new byte[700_000]);

        downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.ranges).containsExactly("bytes=700000-", "");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void wrongChecksumAfterAResumeStillFailsAfterOneCleanRetry() throws Exception {
        Files.createDirectories(target.getParent());
        Files.write(part(), Arrays.copyOf(server.content, 700_000));
        String wrong = "0".repeat(64);

        assertThatThrownBy(() -> downloader.download(server.fileUri(), target, wrong, SIZE, null, () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("expected sha256 " + wrong);
        assertThat(server.ranges).containsExactly("bytes=700000-", "");
        assertThat(target).doesNotExist();
        assertThat(part()).doesNotExist();
    }

    @Test
    void wrongChecksumDeletesEverythingAndSaysWhy() {
        String wrong = "0".repeat(64);

        assertThatThrownBy(() -> downloader.download(server.fileUri(), target, wrong, SIZE, null, () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("expected sha256 " + wrong)
                .hasMessageContaining("got " + server.sha256)
                .hasMessageContaining("replaced upstream or corrupted");
        assertThat(target).doesNotExist();
        assertThat(part()).doesNotExist();
        assertThat(server.requests).hasValue(1);
    }

    @Test
    void wrongSizeIsRejected() {
        assertThatThrownBy(() -> downloader.download(server.fileUri(), target, server.sha256, SIZE + 1, null,
                () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining((SIZE + 1) + " were expected")
                .hasMessageContaining("replaced upstream or corrupted");
        assertThat(target).doesNotExist();
        assertThat(part()).doesNotExist();
        assertThat(server.requests).hasValue(1);
    }

    @Test
    void notFoundNamesTheUrl() {
        URI missing = server.uri("/nope.gguf");

        assertThatThrownBy(() -> downloader.download(missing, target, server.sha256, SIZE, null, () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("404")
                .hasMessageContaining(missing.toString());
        assertThat(target).doesNotExist();
    }

    @Test
    void retriesServerErrors() throws Exception {
        server.failuresToServe.set(2);

        downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.requests).hasValue(3);
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
    }

    @Test
    void cancelKeepsThePartAndALaterCallResumes() throws Exception {
        AtomicLong seen = new AtomicLong();

        assertThatThrownBy(() -> downloader.download(server.fileUri(), target, server.sha256, SIZE,
                (done, total) -> seen.set(done), () -> seen.get() > 1_000_000))
                .isInstanceOf(DownloadCancelledException.class)
                .hasMessageContaining("resumed");

        assertThat(target).doesNotExist();
        long kept = Files.size(part());
        assertThat(kept).isGreaterThan(1_000_000).isLessThan(SIZE);

        downloader.download(server.fileUri(), target, server.sha256, SIZE, null, () -> false);

        assertThat(server.ranges).containsExactly("", "bytes=" + kept + "-");
        assertThat(Files.readAllBytes(target)).isEqualTo(server.content);
        assertThat(part()).doesNotExist();
    }

    @Test
    void unreachableHostSaysOffline() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        URI url = URI.create("http://127.0.0.1:" + closedPort + "/model.gguf");

        assertThatThrownBy(() -> downloader.download(url, target, server.sha256, SIZE, null, () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessageContaining("could not reach host 127.0.0.1 (offline?)");
        assertThat(target).doesNotExist();
    }

    @Test
    void refusesToDownloadWithoutAChecksum() {
        assertThatThrownBy(() -> downloader.download(server.fileUri(), target, null, SIZE, null, () -> false))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessage("no pinned checksum for model.gguf; download it yourself and use --model PATH");
        assertThat(server.requests).hasValue(0);
    }
}
