package dev.lifelong.assistant.portable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.gguf.GgufReader;
import dev.lifelong.lora.GgufLoraReader;
import dev.lifelong.lora.TransformerConfig;
import dev.lifelong.lora.data.DatasetFiles;
import dev.lifelong.memory.AdapterVersion;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.UserArchive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * A user's personal model as one zip file that another installation (or llama.cpp, or Ollama) can use. Layout
 * (docs/personal-model-bundle.md): {@code manifest.json} (format, user, base model name + sha256 + architecture, chat
 * template, adapter hyper-parameters, versions, dates, SHA-256 of every other entry), {@code adapter.gguf} (the serving
 * adapter, GGUF LoRA), {@code metrics.json} (every adapter version with its figures), {@code memories.json},
 * {@code conversations.jsonl}, {@code training.jsonl}, {@code feedback.json}, {@code settings.json},
 * {@code Modelfile} (Ollama) and {@code README.md} (llama.cpp and Ollama commands).
 */
public final class PersonalModelBundle {
    public static final int FORMAT = 1;
    static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final Set<String> ENTRIES = Set.of("manifest.json", "adapter.gguf", "metrics.json", "memories.json",
            "conversations.jsonl", "training.jsonl", "feedback.json", "settings.json", "Modelfile", "README.md");
    /** Largest entry an import reads (bytes, after decompression): more is refused, whatever the header says. */
    static long maxEntryBytes() { return Long.getLong("lifelong.import.maxEntryBytes", 4L << 30); }

    public record ExportSummary(Path file, String user, int conversations, int messages, int memories, Integer adapterVersion, long bytes) {}

    /** {@code intoOwner}: the bundle went to this installation's owner (who had nothing yet), not to a new user. */
    public record ImportSummary(long userId, String user, boolean intoOwner, Map<String, Integer> counts, Integer adapterVersion) {}

    private PersonalModelBundle() {}

    // ------------------------------------------------------------------ export

    /** Writes the bundle of {@code userId} to {@code out} (temp file + fsync + rename); {@code baseModel} is the model served here. */
    public static ExportSummary export(Database db, Path dataDir, long userId, String userName, Path baseModel, Path out,
            String systemPrompt, BiConsumer<Integer, Integer> progress) {
        try {
            Map<String, List<Map<String, Object>>> rows = UserArchive.export(db, userId);
            Map<String, byte[]> entries = new LinkedHashMap<>();
            int steps = 6;
            progress.accept(1, steps);
            AdapterVersion serving = new AdapterVersionStore(db).serving(userId).orElse(null);
            byte[] adapter = null;
            if (serving != null && serving.file() != null && Files.isRegularFile(dataDir.resolve(serving.file()))) {
                adapter = Files.readAllBytes(dataDir.resolve(serving.file()));
                entries.put("adapter.gguf", adapter);
            }
            progress.accept(2, steps);
            entries.put("metrics.json", PRETTY.writeValueAsBytes(rows.get("adapter_versions")));
            entries.put("memories.json", PRETTY.writeValueAsBytes(rows.get("memories")));
            entries.put("conversations.jsonl", conversationsJsonl(rows));
            entries.put("training.jsonl", jsonl(rows.get("training_examples")));
            entries.put("feedback.json", PRETTY.writeValueAsBytes(rows.get("feedback")));
            entries.put("settings.json", PRETTY.writeValueAsBytes(rows.get("user_settings")));
            progress.accept(3, steps);

            BaseModel base = BaseModel.describe(baseModel);
            String trainedOn = serving != null ? serving.baseSha256() : base.sha256();
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            manifest.put("createdAt", Instant.now().toString());
            manifest.put("user", userName);
            ObjectNode b = manifest.putObject("base");
            b.put("name", base.name());
            b.put("file", baseModel.getFileName().toString());
            b.put("sha256", trainedOn);
            b.put("architecture", base.architecture());
            manifest.put("chatTemplate", base.chatTemplate());
            if (serving != null && adapter != null) {
                ObjectNode a = manifest.putObject("adapter");
                a.put("file", "adapter.gguf");
                a.put("version", serving.version());
                a.put("sha256", sha256(adapter));
                a.put("promotedAt", serving.promotedAt() == null ? null : serving.promotedAt().toString());
                JsonNode lora = JSON.readTree(serving.report()).path("lora");
                a.set("hyperParameters", lora.isMissingNode() ? JSON.createObjectNode() : lora);
            } else {
                manifest.putNull("adapter");
            }
            manifest.put("versions", rows.get("adapter_versions").size());
            manifest.put("systemPrompt", systemPrompt);
            entries.put("Modelfile", Recipes.modelfile(base, baseModel, adapter != null, systemPrompt).getBytes(StandardCharsets.UTF_8));
            entries.put("README.md", Recipes.readme(userName, base, baseModel, adapter != null).getBytes(StandardCharsets.UTF_8));
            progress.accept(4, steps);
            ObjectNode sums = manifest.putObject("entries");
            for (var e : entries.entrySet()) sums.put(e.getKey(), sha256(e.getValue()));

            Path abs = out.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path tmp = abs.resolveSibling("." + abs.getFileName() + ".partial-" + UUID.randomUUID());
            try {
                try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os)) {
                    put(zip, "manifest.json", PRETTY.writeValueAsBytes(manifest));
                    for (var e : entries.entrySet()) put(zip, e.getKey(), e.getValue());
                }
                progress.accept(5, steps);
                dev.lifelong.io.FaultInjection.diskFullAt("export");
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                    ch.force(true);
                }
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            progress.accept(6, steps);
            int messages = rows.get("messages").size();
            return new ExportSummary(abs, userName, rows.get("conversations").size(), messages, rows.get("memories").size(),
                    serving != null && adapter != null ? serving.version() : null, Files.size(abs));
        } catch (IOException e) {
            throw new UncheckedIOException("export failed: " + e.getMessage() + " (nothing was written)", e);
        }
    }

    private static byte[] conversationsJsonl(Map<String, List<Map<String, Object>>> rows) throws IOException {
        Map<Object, List<Map<String, Object>>> byConversation = new LinkedHashMap<>();
        for (Map<String, Object> m : rows.get("messages")) {
            byConversation.computeIfAbsent(m.get("conversation_id"), k -> new ArrayList<>()).add(m);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map<String, Object> c : rows.get("conversations")) {
            Map<String, Object> line = new LinkedHashMap<>(c);
            line.put("messages", byConversation.getOrDefault(c.get("id"), List.of()));
            out.write(JSON.writeValueAsBytes(line));
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static byte[] jsonl(List<Map<String, Object>> rows) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map<String, Object> r : rows) {
            out.write(JSON.writeValueAsBytes(r));
            out.write('\n');
        }
        return out.toByteArray();
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    // ------------------------------------------------------------------ import

    /** manifest.json: read first, before anything else is inflated. */
    static final long MAX_MANIFEST_BYTES = 1 << 20;
    /** adapter.gguf: written to disk as it is inflated, never held in memory. */
    static final long MAX_ADAPTER_BYTES = 2L << 30;
    /** The data entries together (they are parsed in memory), after decompression. */
    static final long MAX_DATA_BYTES = 256L << 20;
    /**
     * An entry that inflates to more than this many times its compressed size is refused unless tiny: real data
     * compresses 3–20×; a zip bomb a thousandfold.
     */
    static final long MAX_COMPRESSION_RATIO = 100;

    /** The API's limits for imported fields (the same as for what a user can type), by table.column. */
    static final Map<String, Integer> FIELD_LIMITS = Map.of(
            "conversations.title", dev.lifelong.assistant.chat.ChatService.MAX_TITLE_CHARS,
            "messages.content", (int) dev.lifelong.assistant.http.LifelongServer.MAX_REQUEST_BYTES,
            "memories.text", dev.lifelong.memory.MemoryStore.MAX_TEXT_CHARS,
            "feedback.correction", dev.lifelong.memory.MemoryStore.MAX_TEXT_CHARS,
            "training_examples.messages", (int) dev.lifelong.assistant.http.LifelongServer.MAX_REQUEST_BYTES,
            "adapter_versions.report", 1 << 20,
            "adapter_versions.reason", 4_000,
            "user_settings.value", 4_000);
    /** Any other text field (names, states, checksums, dates). */
    static final int OTHER_FIELD_LIMIT = 200;

    /**
     * Checks the bundle and creates its user here (as {@code asName}, or the name in the bundle); when that name is the
     * owner's and the owner has nothing yet (a fresh installation: "my model, my new laptop"), the bundle becomes the
     * owner's instead, who keeps their id, password and API keys. Refuses, with the
     * reason, unknown format versions, entries outside the bundle (zip-slip) or unknown to it, oversized or
     * suspiciously compressed entries (all before anything is inflated but the manifest), checksum mismatches, fields
     * beyond the API's limits, and an adapter that is not a LoRA adapter of {@code baseModel}'s shape or was trained on
     * another base. Everything lands in one transaction; the adapter file is moved into place first and removed again
     * if that transaction fails.
     */
    public static ImportSummary importBundle(Database db, Path dataDir, Path bundle, Path baseModel, String asName) {
        removeOrphanedAdapterFolders(db, dataDir);
        Verified verified = readVerified(bundle, dataDir);
        try {
            return importVerified(db, dataDir, verified, baseModel, asName);
        } finally {
            verified.deleteAdapter();
        }
    }

    private static ImportSummary importVerified(Database db, Path dataDir, Verified verified, Path baseModel, String asName) {
        Map<String, byte[]> entries = verified.entries();
        JsonNode manifest;
        try {
            manifest = JSON.readTree(entries.get("manifest.json"));
        } catch (IOException e) {
            throw new IllegalArgumentException("manifest.json is not valid JSON: " + e.getMessage());
        }
        boolean hasAdapter = verified.adapter() != null && manifest.path("adapter").isObject();
        if (hasAdapter) {
            String wanted = manifest.path("base").path("sha256").asText("");
            String here = baseModel == null ? null : DatasetFiles.sha256(baseModel);
            if (!wanted.equals(here)) {
                throw new IllegalArgumentException("the adapter was trained on the base model " + manifest.path("base").path("name").asText("?")
                        + " (" + manifest.path("base").path("file").asText("?") + ", sha256 " + wanted + ", architecture "
                        + manifest.path("base").path("architecture").asText("?") + "); this installation "
                        + (baseModel == null ? "has no model" : "serves " + baseModel.getFileName() + " (sha256 " + here + ")")
                        + ". Install that base model (./lifelong models pull, or --model FILE) and import again");
            }
            requireAdapterOf(verified.adapter(), baseModel);
        }
        String name = asName != null ? asName : manifest.path("user").asText("");
        Map<String, List<Map<String, Object>>> rows = new LinkedHashMap<>();
        try {
            TypeReference<List<Map<String, Object>>> listOfRows = new TypeReference<>() {};
            rows.put("adapter_versions", JSON.readValue(entries.get("metrics.json"), listOfRows));
            rows.put("memories", JSON.readValue(entries.get("memories.json"), listOfRows));
            rows.put("feedback", JSON.readValue(entries.get("feedback.json"), listOfRows));
            rows.put("user_settings", JSON.readValue(entries.get("settings.json"), listOfRows));
            List<Map<String, Object>> conversations = new ArrayList<>();
            List<Map<String, Object>> messages = new ArrayList<>();
            for (String line : new String(entries.get("conversations.jsonl"), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                Map<String, Object> c = JSON.readValue(line, new TypeReference<Map<String, Object>>() {});
                Object ms = c.remove("messages");
                conversations.add(c);
                if (ms instanceof List<?> list) for (Object m : list) messages.add(castRow(m));
            }
            rows.put("conversations", conversations);
            rows.put("messages", messages);
            List<Map<String, Object>> training = new ArrayList<>();
            for (String line : new String(entries.get("training.jsonl"), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) training.add(JSON.readValue(line, new TypeReference<Map<String, Object>>() {}));
            }
            rows.put("training_examples", training);
        } catch (IOException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("the bundle's data is malformed: " + e.getMessage());
        }
        requireWithinLimits(rows);
        // an empty owner has no adapter versions, so anything in their adapter folder is left from an interrupted import
        UserArchive.emptyOwnerCalled(db, name).ifPresent(owner -> deleteAdapterFolder(dataDir, owner));
        int adapterVersion = manifest.path("adapter").path("version").asInt(-1);
        List<Path> written = new ArrayList<>();
        try {
            UserArchive.Imported done = UserArchive.importUser(db, name, rows, (userId, row) -> {
                if (!hasAdapter || !written.isEmpty() || versionOf(row.get("version")) != adapterVersion || !"promoted".equals(row.get("state"))) return null;
                Path rel = Path.of("adapters", "user-" + userId, "v" + adapterVersion + ".gguf");
                moveAtomically(verified.adapter(), dataDir.resolve(rel));
                written.add(dataDir.resolve(rel));
                // fault injection for the crash test: die with the file in place and the transaction not committed
                if ("import".equals(System.getenv("LIFELONG_CRASH_AT"))) Runtime.getRuntime().halt(137);
                return rel.toString();
            });
            String user = db.accounts().find(done.userId()).map(a -> a.name()).orElse(name);
            return new ImportSummary(done.userId(), user, done.intoOwner(), done.counts(), hasAdapter ? adapterVersion : null);
        } catch (RuntimeException e) {
            for (Path p : written) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort; the database knows nothing of it
                }
            }
            throw e;
        }
    }

    /** The adapter must be a LoRA adapter (GGUF) whose tensors fit the base model; read in full, as llama.cpp will. */
    static void requireAdapterOf(Path adapter, Path baseModel) {
        try (var base = GgufReader.read(baseModel)) {
            GgufLoraReader.read(adapter, TransformerConfig.from(base), 0);
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage().replace(adapter.toString(), "adapter.gguf");
            throw new IllegalArgumentException("adapter.gguf is not a usable LoRA adapter for " + baseModel.getFileName() + ": " + why);
        }
    }

    /** Every text field within the API's limit for it, so that nothing imported could not have been typed here. */
    static void requireWithinLimits(Map<String, List<Map<String, Object>>> rows) {
        for (var table : rows.entrySet()) {
            int n = 0;
            for (Map<String, Object> row : table.getValue()) {
                n++;
                for (var field : row.entrySet()) {
                    if (!(field.getValue() instanceof String text)) continue;
                    String key = table.getKey() + "." + field.getKey();
                    int limit = FIELD_LIMITS.getOrDefault(key, OTHER_FIELD_LIMIT);
                    if (text.length() > limit) {
                        throw new IllegalArgumentException(key + " of row " + n + " is " + text.length() + " characters long;"
                                + " the limit is " + limit + " (as for anything entered here)");
                    }
                }
            }
        }
        for (Map<String, Object> m : rows.getOrDefault("memories", List.of())) {
            Object text = m.get("text");
            if (!(text instanceof String t) || t.isBlank()) throw new IllegalArgumentException("memories.json holds a memory without text");
            try {
                dev.lifelong.memory.MemoryKind.fromWire(String.valueOf(m.get("kind")));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("memories.json: " + e.getMessage());
            }
        }
    }

    /**
     * An import that was killed after writing its adapter file but before its transaction committed leaves a folder
     * {@code adapters/user-N} for a user N that does not exist; the next import removes such folders first.
     */
    static void removeOrphanedAdapterFolders(Database db, Path dataDir) {
        Path adapters = dataDir.resolve("adapters");
        if (!Files.isDirectory(adapters)) return;
        java.util.Set<Long> users = new java.util.HashSet<>();
        db.accounts().list().forEach(a -> users.add(a.id()));
        try (var dirs = Files.list(adapters)) {
            for (Path d : dirs.toList()) {
                String n = d.getFileName().toString();
                if (!n.matches("user-\\d+") || users.contains(Long.parseLong(n.substring(5)))) continue;
                dev.lifelong.io.DurableFiles.deleteTree(d);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + adapters + ": " + e.getMessage(), e);
        }
    }

    private static void deleteAdapterFolder(Path dataDir, long userId) {
        Path folder = dataDir.resolve("adapters").resolve("user-" + userId);
        try {
            if (Files.isDirectory(folder)) dev.lifelong.io.DurableFiles.deleteTree(folder);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + folder + ": " + e.getMessage(), e);
        }
    }

    private static int versionOf(Object o) {
        return o instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castRow(Object o) {
        return (Map<String, Object>) o;
    }

    /** The data entries in memory, and the adapter (if any) in a temporary file of the data folder. */
    record Verified(Map<String, byte[]> entries, Path adapter) {
        void deleteAdapter() {
            if (adapter == null) return;
            try {
                Files.deleteIfExists(adapter);
            } catch (IOException ignored) {
                // a stray temporary file in the data folder; the next import does not read it
            }
        }
    }

    /**
     * Every entry, size-limited and checksum-verified; throws IllegalArgumentException with the reason. What the zip's
     * directory says (names, sizes, compression) is checked and the manifest is read before any other entry is
     * inflated; no entry is read past its limit, whatever its header says, so memory stays bounded.
     */
    static Verified readVerified(Path bundle, Path scratchDir) {
        if (!Files.isRegularFile(bundle)) throw new IllegalArgumentException(bundle + " does not exist");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Path adapter = null;
        boolean ok = false;
        try (ZipFile zip = new ZipFile(bundle.toFile())) {
            Map<String, ZipEntry> byName = new LinkedHashMap<>();
            var it = zip.entries();
            long dataBytes = 0;
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                String n = e.getName();
                if (n.contains("..") || n.startsWith("/") || n.contains("\\") || n.contains(":") || n.contains("/")) {
                    throw new IllegalArgumentException("refusing entry '" + n + "': a path outside the bundle (zip-slip)");
                }
                if (!ENTRIES.contains(n)) throw new IllegalArgumentException("refusing unknown entry '" + n + "'");
                if (byName.containsKey(n)) throw new IllegalArgumentException("entry '" + n + "' appears twice");
                if (e.getSize() > 1 << 20 && e.getCompressedSize() >= 0 && e.getSize() > MAX_COMPRESSION_RATIO * Math.max(1, e.getCompressedSize())) {
                    throw new IllegalArgumentException("entry '" + n + "' would inflate " + (e.getSize() / Math.max(1, e.getCompressedSize()))
                            + " times its compressed size (a zip bomb?); refusing it");
                }
                long max = limitOf(n);
                if (e.getSize() > max) throw new IllegalArgumentException("entry '" + n + "' is larger than " + max + " bytes");
                if (!n.equals("adapter.gguf") && e.getSize() > 0) dataBytes += e.getSize();
                byName.put(n, e);
            }
            if (dataBytes > MAX_DATA_BYTES) {
                throw new IllegalArgumentException("the bundle's data entries are larger than " + MAX_DATA_BYTES + " bytes together");
            }
            ZipEntry manifestEntry = byName.get("manifest.json");
            if (manifestEntry == null) throw new IllegalArgumentException("not a Lifelong personal model (no manifest.json)");
            JsonNode manifest;
            byte[] manifestBytes = read(zip, manifestEntry, limitOf("manifest.json"));
            entries.put("manifest.json", manifestBytes);
            try {
                manifest = JSON.readTree(manifestBytes);
            } catch (IOException e) {
                throw new IllegalArgumentException("manifest.json is not valid JSON: " + e.getMessage());
            }
            int format = manifest.path("format").asInt(-1);
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown bundle format version " + manifest.path("format") + "; this Lifelong reads version " + FORMAT);
            }
            JsonNode sums = manifest.path("entries");
            for (String required : List.of("metrics.json", "memories.json", "conversations.jsonl", "training.jsonl", "feedback.json", "settings.json")) {
                if (!byName.containsKey(required)) throw new IllegalArgumentException("the bundle lacks " + required);
            }
            for (String n : byName.keySet()) {
                if (!n.equals("manifest.json") && sums.path(n).asText(null) == null) {
                    throw new IllegalArgumentException("entry '" + n + "' has no checksum in manifest.json");
                }
            }
            for (var listed = sums.fieldNames(); listed.hasNext(); ) {
                String n = listed.next();
                if (!byName.containsKey(n)) throw new IllegalArgumentException("the bundle lacks " + n + " (listed in manifest.json)");
            }
            // only now is anything else inflated, each entry no further than its limit
            long read = 0;
            for (var e : byName.entrySet()) {
                String n = e.getKey();
                if (n.equals("manifest.json")) continue;
                String actual;
                if (n.equals("adapter.gguf")) {
                    adapter = Files.createTempFile(scratchDir, ".import-", ".gguf");
                    actual = copy(zip, e.getValue(), adapter, MAX_ADAPTER_BYTES);
                } else {
                    byte[] data = read(zip, e.getValue(), Math.min(limitOf(n), MAX_DATA_BYTES - read));
                    read += data.length;
                    entries.put(n, data);
                    actual = sha256(data);
                }
                if (!sums.path(n).asText().equals(actual)) {
                    throw new IllegalArgumentException("entry '" + n + "' does not match its checksum (damaged or changed)");
                }
            }
            ok = true;
            return new Verified(entries, adapter);
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(bundle + " is not a readable zip file: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + bundle + ": " + e.getMessage(), e);
        } finally {
            if (!ok && adapter != null) new Verified(entries, adapter).deleteAdapter();
        }
    }

    /** How many bytes an entry may inflate to. */
    static long limitOf(String entry) {
        return switch (entry) {
            case "manifest.json" -> Math.min(MAX_MANIFEST_BYTES, maxEntryBytes());
            case "adapter.gguf" -> Math.min(MAX_ADAPTER_BYTES, maxEntryBytes());
            default -> Math.min(MAX_DATA_BYTES, maxEntryBytes());
        };
    }

    /** The entry's bytes, refusing it as soon as it passes {@code max} (a header can lie about the size). */
    private static byte[] read(ZipFile zip, ZipEntry e, long max) throws IOException {
        try (InputStream in = zip.getInputStream(e)) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, max + 1));
            if (data.length > max) throw new IllegalArgumentException("entry '" + e.getName() + "' is larger than " + max + " bytes");
            return data;
        }
    }

    /** Inflates the entry into {@code target} (at most {@code max} bytes); returns its SHA-256. */
    private static String copy(ZipFile zip, ZipEntry e, Path target, long max) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
        long total = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = zip.getInputStream(e); OutputStream out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                if (total > Math.min(max, maxEntryBytes())) {
                    throw new IllegalArgumentException("entry '" + e.getName() + "' is larger than " + Math.min(max, maxEntryBytes()) + " bytes");
                }
                sha.update(buffer, 0, n);
                out.write(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Moves the verified adapter into place: fsync, atomic rename, fsync of the folder. */
    static void moveAtomically(Path from, Path to) {
        try {
            Files.createDirectories(to.getParent());
            dev.lifelong.io.DurableFiles.fsync(from);
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            dev.lifelong.io.DurableFiles.fsync(to.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + to + ": " + e.getMessage(), e);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What the bundle says about the base model, read from its GGUF header. */
    record BaseModel(String name, String architecture, String chatTemplate, String sha256) {
        static BaseModel describe(Path file) {
            try (var g = GgufReader.read(file)) {
                String arch = g.findString("general.architecture").orElse("llama");
                return new BaseModel(g.findString("general.name").orElse(file.getFileName().toString()), arch,
                        g.findString("tokenizer.chat_template").orElse(null), DatasetFiles.sha256(file));
            }
        }
    }
}
