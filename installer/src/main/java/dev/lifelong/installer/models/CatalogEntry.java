package dev.lifelong.installer.models;

import java.net.URI;
import java.util.Objects;

/**
 * One downloadable model: where it lives, and the exact bytes we expect (sha256 + size).
 *
 * @param sha256 lowercase hex SHA-256 of the whole file, or {@code null} when no checksum could be pinned
 *               (such entries are refused by {@link ModelStore#pull} and {@link ModelDownloader#download})
 */
public record CatalogEntry(String id, String name, String fileName, URI url, String sha256, long sizeBytes,
                           String license, String architecture, String description) {

    public CatalogEntry {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(fileName, "fileName");
        Objects.requireNonNull(url, "url");
        if (fileName.isBlank() || fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw new IllegalArgumentException("catalog entry " + id + ": fileName must be a plain file name, got '" + fileName + "'");
        }
    }

    public boolean hasPinnedChecksum() {
        return sha256 != null;
    }
}
