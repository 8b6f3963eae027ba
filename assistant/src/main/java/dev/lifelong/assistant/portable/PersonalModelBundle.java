package dev.lifelong.assistant.portable;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.gguf.GgufReader;
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

    public record ImportSummary(long userId, String user, Map<String, Integer> counts, Integer adapterVersion) {}

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

    /**
     * Checks the bundle and creates its user here (as {@code asName}, or the name in the bundle). Refuses, with the
     * reason, unknown format versions, entries outside the bundle (zip-slip) or unknown to it, oversized entries,
     * checksum mismatches, and an adapter trained on another base model than {@code baseModel}. Everything lands in one
     * transaction; the adapter file is written first and removed again if that transaction fails.
     */
    public static ImportSummary importBundle(Database db, Path dataDir, Path bundle, Path baseModel, String asName) {
        removeOrphanedAdapterFolders(db, dataDir);
        Map<String, byte[]> entries = readVerified(bundle);
        JsonNode manifest;
        try {
            manifest = JSON.readTree(entries.get("manifest.json"));
        } catch (IOException e) {
            throw new IllegalArgumentException("manifest.json is not valid JSON: " + e.getMessage());
        }
        boolean hasAdapter = entries.containsKey("adapter.gguf") && manifest.path("adapter").isObject();
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
        int adapterVersion = manifest.path("adapter").path("version").asInt(-1);
        List<Path> written = new ArrayList<>();
        try {
            UserArchive.Imported done = UserArchive.importUser(db, name, rows, (userId, row) -> {
                if (!hasAdapter || versionOf(row.get("version")) != adapterVersion || !"promoted".equals(row.get("state"))) return null;
                Path rel = Path.of("adapters", "user-" + userId, "v" + adapterVersion + ".gguf");
                writeAtomically(dataDir.resolve(rel), entries.get("adapter.gguf"));
                written.add(dataDir.resolve(rel));
                // fault injection for the crash test: die with the file in place and the transaction not committed
                if ("import".equals(System.getenv("LIFELONG_CRASH_AT"))) Runtime.getRuntime().halt(137);
                return rel.toString();
            });
            return new ImportSummary(done.userId(), name, done.counts(), hasAdapter ? adapterVersion : null);
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

    /**
     * An import killed after writing its adapter file but before its transaction committed leaves a folder
     * {@code adapters/user-N} for a user N that does not exist; the next import removes such folders first (a user id
     * can be given out again, and must not inherit them).
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

    private static int versionOf(Object o) {
        return o instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(o));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castRow(Object o) {
        return (Map<String, Object>) o;
    }

    /** Every entry, size-limited and checksum-verified; throws IllegalArgumentException with the reason. */
    static Map<String, byte[]> readVerified(Path bundle) {
        if (!Files.isRegularFile(bundle)) throw new IllegalArgumentException(bundle + " does not exist");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(bundle.toFile())) {
            var it = zip.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                String n = e.getName();
                if (n.contains("..") || n.startsWith("/") || n.contains("\\") || n.contains(":") || n.contains("/")) {
                    throw new IllegalArgumentException("refusing entry '" + n + "': a path outside the bundle (zip-slip)");
                }
                if (!ENTRIES.contains(n)) throw new IllegalArgumentException("refusing unknown entry '" + n + "'");
                if (entries.containsKey(n)) throw new IllegalArgumentException("entry '" + n + "' appears twice");
                long max = maxEntryBytes();
                if (e.getSize() > max) throw new IllegalArgumentException("entry '" + n + "' is larger than " + max + " bytes");
                try (InputStream in = zip.getInputStream(e)) {
                    byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, max + 1));
                    if (data.length > max) throw new IllegalArgumentException("entry '" + n + "' is larger than " + max + " bytes");
                    entries.put(n, data);
                }
            }
        } catch (java.util.zip.ZipException e) {
            throw new IllegalArgumentException(bundle + " is not a readable zip file: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + bundle + ": " + e.getMessage(), e);
        }
        byte[] manifestBytes = entries.get("manifest.json");
        if (manifestBytes == null) throw new IllegalArgumentException("not a Lifelong personal model (no manifest.json)");
        JsonNode manifest;
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
            if (!entries.containsKey(required)) throw new IllegalArgumentException("the bundle lacks " + required);
        }
        for (var e : entries.entrySet()) {
            if (e.getKey().equals("manifest.json")) continue;
            String expected = sums.path(e.getKey()).asText(null);
            if (expected == null) throw new IllegalArgumentException("entry '" + e.getKey() + "' has no checksum in manifest.json");
            if (!expected.equals(sha256(e.getValue()))) {
                throw new IllegalArgumentException("entry '" + e.getKey() + "' does not match its checksum (damaged or changed)");
            }
        }
        for (var it = sums.fieldNames(); it.hasNext(); ) {
            String listed = it.next();
            if (!entries.containsKey(listed)) throw new IllegalArgumentException("the bundle lacks " + listed + " (listed in manifest.json)");
        }
        return entries;
    }

    static void writeAtomically(Path file, byte[] bytes) {
        try {
            dev.lifelong.io.DurableFiles.write(file, bytes, false, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
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
