package dev.lifelong.installer.models;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelStoreTest {

    @TempDir
    Path dataDir;
    ModelStore store;
    LoopbackFileServer server;
    ModelDownloader downloader;

    @BeforeEach
    void start() throws Exception {
        store = new ModelStore(dataDir);
        server = new LoopbackFileServer(2 * 1024 * 1024);
        downloader = new ModelDownloader(ModelDownloader.defaultClient(), 2, Duration.ofMillis(10));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private CatalogEntry entry(String sha256) {
        return new CatalogEntry("test-model", "Test model", "test-model.gguf", server.fileUri(), sha256,
                server.content.length, "Apache-2.0", "llama", "served from loopback");
    }

    @Test
    void noDefaultUntilOneIsSet() throws Exception {
        assertThat(store.defaultModel()).isEmpty();
        assertThat(store.installed()).isEmpty();
    }

    @Test
    void defaultPointerRoundTripsAndIsWrittenAtomically() throws Exception {
        Files.createDirectories(store.modelsDir());
        Path a = Files.write(store.modelsDir().resolve("a.gguf"), new byte[]{1});
        Path b = Files.write(store.modelsDir().resolve("b.gguf"), new byte[]{2});
        Path outside = Files.write(dataDir.resolve("elsewhere.gguf"), new byte[]{3});

        store.setDefault(a);
        assertThat(store.defaultModel()).contains(a);
        store.setDefault(b);
        assertThat(store.defaultModel()).contains(b);
        store.setDefault(outside);
        assertThat(store.defaultModel()).get().isEqualTo(outside.toAbsolutePath());

        store.setDefault(b);
        // A store-relative name, so the data directory can move; and no temp files left behind.
        assertThat(Files.readString(store.modelsDir().resolve("default.properties"))).contains("model=b.gguf");
        try (Stream<Path> files = Files.list(store.modelsDir())) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("a.gguf", "b.gguf", "default.properties");
        }
        assertThat(new ModelStore(dataDir).defaultModel()).contains(b);
    }

    @Test
    void defaultIsEmptyOnceItsFileIsGone() throws Exception {
        Files.createDirectories(store.modelsDir());
        Path a = Files.write(store.modelsDir().resolve("a.gguf"), new byte[]{1});
        store.setDefault(a);
        Files.delete(a);

        assertThat(store.defaultModel()).isEmpty();
    }

    @Test
    void refusesAMissingFileAsDefault() {
        assertThatThrownBy(() -> store.setDefault(dataDir.resolve("missing.gguf")))
                .hasMessageContaining("no such file");
    }

    @Test
    void installedListsOnlyGgufFiles() throws Exception {
        Files.createDirectories(store.modelsDir());
        Files.write(store.modelsDir().resolve("b.gguf"), new byte[]{1});
        Files.write(store.modelsDir().resolve("a.gguf"), new byte[]{1});
        Files.write(store.modelsDir().resolve("c.gguf.part"), new byte[]{1});
        Files.write(store.modelsDir().resolve("notes.txt"), new byte[]{1});

        assertThat(store.installed()).extracting(p -> p.getFileName().toString()).containsExactly("a.gguf", "b.gguf");
    }

    @Test
    void pullDownloadsVerifiesAndMakesDefault() throws Exception {
        Path path = store.pull(entry(server.sha256), downloader, null);

        assertThat(path).isEqualTo(store.modelsDir().resolve("test-model.gguf"));
        assertThat(Files.readAllBytes(path)).isEqualTo(server.content);
        assertThat(store.defaultModel()).contains(path);
        assertThat(store.installed()).containsExactly(path);
    }

    @Test
    void pullSkipsAVerifiedFileAndReplacesACorruptOne() throws Exception {
        Path path = store.pull(entry(server.sha256), downloader, null);
        assertThat(server.requests).hasValue(1);

        store.pull(entry(server.sha256), downloader, null);
        assertThat(server.requests).hasValue(1);

        byte[] corrupt = server.content.clone();
        corrupt[100] ^= 1;
        Files.write(path, corrupt);
        store.pull(entry(server.sha256), downloader, null);
        assertThat(server.requests).hasValue(2);
        assertThat(Files.readAllBytes(path)).isEqualTo(server.content);
    }

    @Test
    void pullRefusesAnEntryWithoutAChecksum() {
        assertThatThrownBy(() -> store.pull(entry(null), downloader, null))
                .isInstanceOf(ModelDownloadException.class)
                .hasMessage("no pinned checksum for test-model; download it yourself and use --model PATH");
        assertThat(server.requests).hasValue(0);
        assertThat(store.defaultModel()).isEmpty();
    }

    @Test
    void pullWithAWrongChecksumKeepsThePreviousDefault() throws Exception {
        Files.createDirectories(store.modelsDir());
        Path previous = Files.write(store.modelsDir().resolve("previous.gguf"), new byte[]{1});
        store.setDefault(previous);

        assertThatThrownBy(() -> store.pull(entry("f".repeat(64)), downloader, null))
                .isInstanceOf(ModelDownloadException.class);

        assertThat(store.defaultModel()).contains(previous);
        assertThat(store.installed()).containsExactly(previous);
    }

    @Test
    void catalogFileNamesCannotEscapeTheStore() {
        assertThatThrownBy(() -> new CatalogEntry("x", "X", "../x.gguf", URI.create("https://example.org/x"),
                null, 1, "MIT", "llama", ""))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
