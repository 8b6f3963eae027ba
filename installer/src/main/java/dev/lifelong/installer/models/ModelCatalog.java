package dev.lifelong.installer.models;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The models Lifelong knows how to fetch, read from {@code dev/lifelong/installer/models/catalog.json}. */
public final class ModelCatalog {

    static final String RESOURCE = "dev/lifelong/installer/models/catalog.json";
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final List<CatalogEntry> entries;

    private ModelCatalog(List<CatalogEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The catalog shipped inside this jar. */
    public static ModelCatalog builtIn() {
        try (InputStream in = ModelCatalog.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("model catalog resource missing from the classpath: " + RESOURCE);
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the built-in model catalog " + RESOURCE, e);
        }
    }

    /** Parses and validates a catalog document ({@code {"models": [...]}}). */
    public static ModelCatalog read(InputStream json) throws IOException {
        Document doc = new ObjectMapper().readValue(json, Document.class);
        if (doc.models() == null) {
            throw new IOException("model catalog has no \"models\" array");
        }
        validate(doc.models());
        return new ModelCatalog(doc.models());
    }

    public List<CatalogEntry> entries() {
        return entries;
    }

    public Optional<CatalogEntry> find(String id) {
        return entries.stream().filter(e -> e.id().equals(id)).findFirst();
    }

    private static void validate(List<CatalogEntry> models) throws IOException {
        Set<String> ids = new HashSet<>();
        for (CatalogEntry e : models) {
            if (e.id().isBlank() || !ids.add(e.id())) {
                throw new IOException("model catalog: blank or duplicate id '" + e.id() + "'");
            }
            if (!"https".equals(e.url().getScheme())) {
                throw new IOException("model catalog: " + e.id() + " must be downloaded over https, got " + e.url());
            }
            if (e.sizeBytes() <= 0) {
                throw new IOException("model catalog: " + e.id() + " has no size");
            }
            if (e.sha256() != null && !SHA256_HEX.matcher(e.sha256()).matches()) {
                throw new IOException("model catalog: " + e.id() + " sha256 must be 64 lowercase hex digits or null");
            }
        }
    }

    private record Document(@JsonProperty("models") List<CatalogEntry> models) {
    }
}
