package dev.lifelong.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.io.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Scores that cannot change between nights, kept so that no night computes them twice: a model (the base, or the base
 * with an adapter file) on a fixed set (the general probe) always scores the same. Keyed by the SHA-256 of the base
 * file, the adapter file and the tokenized set; an entry that cannot be read is computed again.
 */
final class ScoreCache {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    ScoreCache(Path dir) {
        this.dir = dir;
    }

    Optional<JsonNode> get(String baseSha, String adapterSha, String setSha) {
        Path file = dir.resolve(key(baseSha, adapterSha, setSha) + ".json");
        if (!Files.isRegularFile(file)) return Optional.empty();
        try {
            JsonNode n = JSON.readTree(file.toFile());
            return n.has("meanLoss") ? Optional.of(n) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    void put(String baseSha, String adapterSha, String setSha, JsonNode score) throws IOException {
        Files.createDirectories(dir);
        DurableFiles.write(dir.resolve(key(baseSha, adapterSha, setSha) + ".json"), JSON.writeValueAsBytes(score), false, null);
    }

    private static String key(String baseSha, String adapterSha, String setSha) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((baseSha + ":" + adapterSha + ":" + setSha).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest()).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
