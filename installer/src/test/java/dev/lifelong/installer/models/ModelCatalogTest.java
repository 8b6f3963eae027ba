package dev.lifelong.installer.models;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelCatalogTest {

    @Test
    void builtInCatalogHasPinnedHttpsEntries() {
        ModelCatalog catalog = ModelCatalog.builtIn();

        assertThat(catalog.entries()).extracting(CatalogEntry::id)
                .containsExactly("qwen2.5-0.5b-instruct-q4_k_m", "smollm2-360m-instruct-q8_0",
                        "llama-3.2-1b-instruct-q4_k_m", "qwen2.5-1.5b-instruct-q4_k_m");
        assertThat(catalog.entries()).allSatisfy(e -> {
            assertThat(e.url().getScheme()).isEqualTo("https");
            assertThat(e.url().getPath()).endsWith("/" + e.fileName());
            assertThat(e.sizeBytes()).isPositive();
            assertThat(e.fileName()).endsWith(".gguf");
            assertThat(e.license()).isIn("Apache-2.0", "Llama 3.2 Community License");
            assertThat(e.architecture()).isIn("llama", "qwen2");
            if (e.sha256() != null) {
                assertThat(e.sha256()).matches("[0-9a-f]{64}");
            }
        });
    }

    @Test
    void builtInEntriesArePinnedToACommitAndAChecksum() {
        // Every shipped entry must be verifiable; an entry without a hash would be refused by pull(). The sha256 pins
        // the bytes; the URL names a commit where we know the repository's, else its main branch (bartowski's
        // Llama 3.2 GGUFs: a changed file there fails the checksum instead of installing something else).
        assertThat(ModelCatalog.builtIn().entries()).allSatisfy(e -> {
            assertThat(e.hasPinnedChecksum()).isTrue();
            assertThat(e.url().getPath()).matches(".*/resolve/([0-9a-f]{40}|main)/.*");
        });
    }

    @Test
    void findsById() {
        ModelCatalog catalog = ModelCatalog.builtIn();

        assertThat(catalog.find("smollm2-360m-instruct-q8_0")).get()
                .satisfies(e -> assertThat(e.fileName()).isEqualTo("smollm2-360m-instruct-q8_0.gguf"));
        assertThat(catalog.find("no-such-model")).isEmpty();
    }

    @Test
    void rejectsPlainHttpAndMalformedHashes() {
        String http = """
                {"models":[{"id":"x","name":"X","fileName":"x.gguf","url":"http://example.org/x.gguf",
                 "sha256":null,"sizeBytes":1,"license":"MIT","architecture":"llama","description":""}]}""";
        String badHash = """
                {"models":[{"id":"x","name":"X","fileName":"x.gguf","url":"https://example.org/x.gguf",
                 "sha256":"abc","sizeBytes":1,"license":"MIT","architecture":"llama","description":""}]}""";

        assertThatThrownBy(() -> ModelCatalog.read(stream(http))).hasMessageContaining("https");
        assertThatThrownBy(() -> ModelCatalog.read(stream(badHash))).hasMessageContaining("64 lowercase hex");
    }

    @Test
    void acceptsAnEntryWithoutAChecksum() throws Exception {
        String json = """
                {"models":[{"id":"x","name":"X","fileName":"x.gguf","url":"https://example.org/x.gguf",
                 "sha256":null,"sizeBytes":1,"license":"MIT","architecture":"llama","description":""}]}""";

        assertThat(ModelCatalog.read(stream(json)).find("x")).get()
                .satisfies(e -> assertThat(e.hasPinnedChecksum()).isFalse());
    }

    private static ByteArrayInputStream stream(String json) {
        return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
    }
}
