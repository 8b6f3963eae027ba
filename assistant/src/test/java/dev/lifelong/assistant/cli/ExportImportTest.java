package dev.lifelong.assistant.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.assistant.TestModels;
import dev.lifelong.assistant.TestServer;
import dev.lifelong.gguf.RandomLlamaModel;
import dev.lifelong.loop.LifelongUpdate;
import dev.lifelong.loop.UpdateListener;
import dev.lifelong.loop.UpdateSettings;
import dev.lifelong.memory.AdapterVersionStore;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.Memory;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Export user A on installation 1, import on installation 2: the same memories, conversations, adapter bytes and
 * answers. Tampered bundles, zip-slip entries, a wrong base model, an unknown format and oversized entries are refused
 * with their reasons and leave nothing behind.
 */
class ExportImportTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;

    record Run(int exit, String output) {
        String lastLine() { List<String> l = output.strip().lines().toList(); return l.get(l.size() - 1); }
    }

    Run cliWithEnv(String key, String value, String... args) throws Exception {
        env = java.util.Map.of(key, value);
        try {
            return cli(args);
        } finally {
            env = java.util.Map.of();
        }
    }

    java.util.Map<String, String> env = java.util.Map.of();
    String heap = "1g";

    /** The CLI in a JVM with this much heap (a zip bomb must not need more than a normal import). */
    Run cliWithHeap(String heapSize, String... args) throws Exception {
        heap = heapSize;
        try {
            return cli(args);
        } finally {
            heap = "1g";
        }
    }

    Run cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx" + heap,
                "-Dlifelong.import.maxEntryBytes=" + System.getProperty("test.maxEntry", "4294967296"),
                "-cp", System.getProperty("java.class.path"), LifelongCli.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void roundTripKeepsEverythingAndBadBundlesAreRefused() throws Exception {
        Path one = dir.resolve("one");
        Path two = dir.resolve("two");
        Files.createDirectories(one);
        Path base = TestModels.tiny();
        String adaKeyOne;
        byte[] adapterOne;
        try (Database db = Database.open(one.resolve("lifelong.db"))) {
            long ada = db.accounts().create("ada", dev.lifelong.memory.Accounts.Role.MEMBER, null).id();
            adaKeyOne = db.accounts().createApiKey(ada, "test", true).secret();
            Conversation c = db.conversations().create(ada, "gardens");
            for (int i = 0; i < 12; i++) {
                db.messages().append(c.id(), Role.USER, "What does plant " + i + " need in the garden?", MessageStatus.COMPLETE);
                db.messages().append(c.id(), Role.ASSISTANT, "Plant " + i + " needs water and " + (i * 3) + " hours of sun.", MessageStatus.COMPLETE);
            }
            Memory m = db.memories().add(ada, MemoryKind.FACT, "Ada's cat is called Momo.", null);
            db.memories().add(ada, MemoryKind.PREFERENCE, "Ada likes short answers. 中文也可以", null);
            db.memories().setPinned(ada, m.id(), true);
            var job = new dev.lifelong.memory.UpdateJobStore(db).startNow(ada, dev.lifelong.memory.UpdateJob.Origin.MANUAL);
            var outcome = new LifelongUpdate(db, one, base, UpdateSettings.defaults().withSystemPrompt("You are Lifelong.")
                    .withTraining(4, 3e-3f, 3).withThreads(1)).run(ada, job.id(), UpdateListener.NONE);
            assertThat(outcome.version().serving()).as(outcome.summary()).isTrue();
            adapterOne = Files.readAllBytes(one.resolve(outcome.version().file()));
        }
        Path bundle = dir.resolve("ada.zip");
        // a full disk while writing the bundle: a clear error, no file and no partial file
        Run full = cliWithEnv("LIFELONG_FAULT", "disk-full:export", "export", "--user", "ada", "--out", bundle.toString(), "--data", one.toString(),
                "--model", base.toString());
        assertThat(full.exit()).as(full.output()).isNotZero();
        assertThat(full.output()).contains("No space left on device").contains("nothing was written");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("ada.zip"));
        }
        Run exported = cli("export", "--user", "ada", "--out", bundle.toString(), "--data", one.toString(), "--model", base.toString(),
                "--merged", dir.resolve("ada-merged.gguf").toString(), "--merged-type", "f16");
        assertThat(exported.exit()).as(exported.output()).isZero();
        assertThat(exported.output()).contains("adapter v1").contains("merged model (F16)");
        assertThat(dir.resolve("ada-merged.gguf")).isRegularFile();
        try (ZipFile zip = new ZipFile(bundle.toFile())) {
            JsonNode manifest = JSON.readTree(zip.getInputStream(zip.getEntry("manifest.json")));
            assertThat(manifest.get("format").asInt()).isEqualTo(1);
            assertThat(manifest.at("/base/sha256").asText()).isEqualTo(dev.lifelong.lora.data.DatasetFiles.sha256(base));
            assertThat(manifest.at("/adapter/hyperParameters/rank").asInt()).isEqualTo(4);
            assertThat(manifest.get("entries").size()).isEqualTo(9);
            assertThat(new String(zip.getInputStream(zip.getEntry("Modelfile")).readAllBytes())).contains("ADAPTER ./adapter.gguf")
                    .contains("FROM ./" + base.getFileName()).contains("<|im_start|>{{ .Role }}").contains("PARAMETER stop \"<|im_end|>\"")
                    .contains("SYSTEM \"\"\"" + dev.lifelong.assistant.config.AssistantConfig.DEFAULT_SYSTEM_PROMPT);
            assertThat(new String(zip.getInputStream(zip.getEntry("README.md")).readAllBytes())).contains("--lora adapter.gguf");
        }

        // refusals first, on an empty installation 2: each leaves nothing behind
        Files.createDirectories(two);
        Path other = RandomLlamaModel.write(new RandomLlamaModel.Spec("other-base", 95, 2, 64, 4, 2, 128, 512, 7,
                dev.lifelong.gguf.GgmlType.F32), dir.resolve("other.gguf"));
        assertRefused(cli("import", bundle.toString(), "--data", two.toString(), "--model", other.toString()),
                "trained on the base model", two);
        assertRefused(cli("import", rewritten(bundle, "tampered.zip", "memories.json", b -> { b[b.length / 2] ^= 1; return b; }, false).toString(),
                "--data", two.toString(), "--model", base.toString()), "does not match its checksum", two);
        assertRefused(cli("import", withExtra(bundle, "slip.zip", "../../evil.sh").toString(), "--data", two.toString(), "--model", base.toString()),
                "zip-slip", two);
        assertRefused(cli("import", rewritten(bundle, "future.zip", "manifest.json", b -> {
            try {
                ObjectNode m = (ObjectNode) JSON.readTree(b);
                m.put("format", 99);
                return JSON.writeValueAsBytes(m);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, false).toString(), "--data", two.toString(), "--model", base.toString()), "unknown bundle format version 99", two);
        System.setProperty("test.maxEntry", "1000");
        try {
            assertRefused(cli("import", bundle.toString(), "--data", two.toString(), "--model", base.toString()), "larger than 1000 bytes", two);
        } finally {
            System.clearProperty("test.maxEntry");
        }

        // hostile bundles: a zip bomb (600 MiB of spaces in well under 1 MB), refused from the zip's directory before
        // anything is inflated, in a JVM with a quarter of that as heap
        assertRefused(cliWithHeap("256m", "import", bomb(bundle).toString(), "--data", two.toString(), "--model", base.toString()),
                "zip bomb", two);
        // an adapter that is not one, or is cut short (checksums fixed, so only the content is wrong)
        assertRefused(cli("import", rewritten(bundle, "garbage.zip", "adapter.gguf", b -> {
            new java.util.Random(7).nextBytes(b);
            return b;
        }, true).toString(), "--data", two.toString(), "--model", base.toString()), "not a usable LoRA adapter", two);
        assertRefused(cli("import", rewritten(bundle, "cut.zip", "adapter.gguf", b -> java.util.Arrays.copyOf(b, b.length * 2 / 3), true)
                .toString(), "--data", two.toString(), "--model", base.toString()), "not a usable LoRA adapter", two);
        // a memory longer than anyone could enter here
        assertRefused(cli("import", rewritten(bundle, "long-memory.zip", "memories.json", b -> {
            try {
                var memories = (com.fasterxml.jackson.databind.node.ArrayNode) JSON.readTree(b);
                ((ObjectNode) memories.get(0)).put("text", "x".repeat(300_000));
                return JSON.writeValueAsBytes(memories);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, true).toString(), "--data", two.toString(), "--model", base.toString()), "memories.text of row 1 is 300000 characters long", two);

        // killed between the adapter file and the commit: no user; the next import clears the orphaned file first
        Run killed = cliWithEnv("LIFELONG_CRASH_AT", "import", "import", bundle.toString(), "--data", two.toString(), "--model", base.toString());
        assertThat(killed.exit()).as(killed.output()).isEqualTo(137);
        try (Database db = Database.open(two.resolve("lifelong.db"))) {
            assertThat(db.accounts().findByName("ada")).isEmpty();
        }

        Run imported = cli("import", bundle.toString(), "--data", two.toString(), "--model", base.toString());
        assertThat(imported.exit()).as(imported.output()).isZero();
        String adaKeyTwo = imported.lastLine();
        assertThat(adaKeyTwo).startsWith("ll_");
        assertRefused(cli("import", bundle.toString(), "--data", two.toString(), "--model", base.toString()), "already exists", null);

        try (Database a = Database.open(one.resolve("lifelong.db")); Database b = Database.open(two.resolve("lifelong.db"))) {
            long adaOne = a.accounts().findByName("ada").orElseThrow().id();
            long adaTwo = b.accounts().findByName("ada").orElseThrow().id();
            assertThat(summary(b, adaTwo)).isEqualTo(summary(a, adaOne));
            var serving = new AdapterVersionStore(b).serving(adaTwo).orElseThrow();
            assertThat(serving.version()).isEqualTo(1);
            assertThat(Files.readAllBytes(two.resolve(serving.file()))).as("the same adapter bytes").isEqualTo(adapterOne);
            assertThat(b.messages().search(adaTwo, "sun", 3)).as("history is searchable there").isNotEmpty();
            try (Stream<Path> files = Files.walk(two.resolve("adapters"))) {
                assertThat(files.filter(Files::isRegularFile).map(f -> two.relativize(f).toString()).toList())
                        .as("only the imported user's adapter, no orphan from the killed import").containsExactly(serving.file());
            }
        }
        // the same answers from the tiny model with the imported adapter (greedy)
        String question = "{\"model\":\"default\",\"max_tokens\":12,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"What does plant 3 need in the garden?\"}]}";
        String answerOne;
        String answerTwo;
        try (TestServer s = TestServer.start(one, base, 1024, 12)) {
            answerOne = JSON.readTree(s.as(adaKeyOne).post("/v1/chat/completions", question, "X-Lifelong-Memory", "off").body()).at("/choices/0/message/content").asText();
        }
        try (TestServer s = TestServer.start(two, base, 1024, 12)) {
            answerTwo = JSON.readTree(s.as(adaKeyTwo).post("/v1/chat/completions", question, "X-Lifelong-Memory", "off").body()).at("/choices/0/message/content").asText();
            assertThat(JSON.readTree(s.as(adaKeyTwo).get("/api/adapters").body()).at("/serving/version").asInt()).isEqualTo(1);
        }
        assertThat(answerTwo).isNotEmpty().isEqualTo(answerOne);

        // "my model, my new laptop": a bundle of the owner (here: ada's, renamed) into a fresh installation, whose owner
        // has a key, a password and a setting but no data yet, lands in that owner
        Path three = dir.resolve("three");
        Files.createDirectories(three);
        String ownerKey;
        long ownerId;
        try (Database db = Database.open(three.resolve("lifelong.db"))) {
            ownerId = db.accounts().findByName("owner").orElseThrow().id();
            ownerKey = db.accounts().createApiKey(ownerId, "owner.key", true).secret();
            db.accounts().setPasswordHash(ownerId, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
            new dev.lifelong.memory.UserSettings(db).setUpdateWindow(ownerId, "01:00-02:00");
            new dev.lifelong.memory.UserSettings(db).setMemoryExtraction(ownerId, false);
        }
        long exportedConversation;
        try (ZipFile zip = new ZipFile(bundle.toFile())) {
            String firstLine = new String(zip.getInputStream(zip.getEntry("conversations.jsonl")).readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
            exportedConversation = JSON.readTree(firstLine).get("id").asLong();
        }
        // the API-chat conversation setting names a conversation by the exporting installation's id
        Path withWindow = rewritten(bundle, "window.zip", "settings.json", b -> ("[{\"name\":\"update_window\",\"value\":\"02:00-05:00\"},"
                + "{\"name\":\"api_conversation\",\"value\":\"" + exportedConversation + "\"}]").getBytes(StandardCharsets.UTF_8), true);
        Path ownersBundle = rewritten(withWindow, "owner.zip", "manifest.json", b -> {
            try {
                ObjectNode m = (ObjectNode) JSON.readTree(b);
                m.put("user", "owner");
                return JSON.writeValueAsBytes(m);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, false);
        Run intoOwner = cli("import", ownersBundle.toString(), "--data", three.toString(), "--model", base.toString());
        assertThat(intoOwner.exit()).as(intoOwner.output()).isZero();
        assertThat(intoOwner.output()).contains("imported into this installation's owner owner").doesNotContain("ll_");
        try (Database a = Database.open(one.resolve("lifelong.db")); Database c = Database.open(three.resolve("lifelong.db"))) {
            assertThat(c.accounts().list()).as("no second user").hasSize(1);
            assertThat(c.accounts().findByName("owner").orElseThrow().id()).isEqualTo(ownerId);
            assertThat(summary(c, ownerId)).isEqualTo(summary(a, a.accounts().findByName("ada").orElseThrow().id()));
            assertThat(c.accounts().authenticateKey(ownerKey).orElseThrow().userId()).as("the owner's key still works").isEqualTo(ownerId);
            assertThat(c.accounts().passwordHash(ownerId)).contains("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA");
            var settings = new dev.lifelong.memory.UserSettings(c);
            assertThat(settings.updateWindow(ownerId)).as("the bundle's setting wins").contains("02:00-05:00");
            assertThat(settings.memoryExtraction(ownerId)).as("the owner's own setting stays").isFalse();
            long gardens = c.conversations().list(ownerId).get(0).id();
            assertThat(settings.apiConversation(ownerId)).as("mapped to the conversation's id here").contains(gardens);
            var serving = new AdapterVersionStore(c).serving(ownerId).orElseThrow();
            assertThat(Files.readAllBytes(three.resolve(serving.file()))).isEqualTo(adapterOne);
        }
        try (TestServer s = TestServer.start(three, base, 1024, 12)) {
            String answerThree = JSON.readTree(s.as(ownerKey).post("/v1/chat/completions", question, "X-Lifelong-Memory", "off").body())
                    .at("/choices/0/message/content").asText();
            assertThat(answerThree).as("the owner answers with the imported adapter").isEqualTo(answerOne);
            assertThat(JSON.readTree(s.as(ownerKey).get("/api/memories").body()).toString()).contains("Momo");
        }
        // now the owner has data: a second import of the same name is refused, saying what to type
        Run again = cli("import", ownersBundle.toString(), "--data", three.toString(), "--model", base.toString());
        assertThat(again.exit()).as(again.output()).isNotZero();
        assertThat(again.output()).contains("a user called 'owner' already exists here (this installation's owner)")
                .contains("--as NEWNAME").contains("--as owner-2").doesNotContain("Exception in thread");
        Run asOther = cli("import", ownersBundle.toString(), "--as", "owner-2", "--data", three.toString(), "--model", base.toString());
        assertThat(asOther.exit()).as(asOther.output()).isZero();
        assertThat(asOther.lastLine()).startsWith("ll_");
    }

    private void assertRefused(Run r, String reason, Path installation) throws Exception {
        assertThat(r.exit()).as(r.output()).isNotZero();
        assertThat(r.output()).contains(reason).doesNotContain("Exception in thread");
        if (installation != null && Files.exists(installation.resolve("lifelong.db"))) {
            try (Database db = Database.open(installation.resolve("lifelong.db"))) {
                assertThat(db.accounts().findByName("ada")).as("no half-imported user after: " + reason).isEmpty();
            }
            if (Files.exists(installation.resolve("adapters"))) {
                try (Stream<Path> files = Files.walk(installation.resolve("adapters"))) {
                    assertThat(files.filter(Files::isRegularFile).toList()).as("no adapter files after: " + reason).isEmpty();
                }
            }
        }
    }

    /** Installation-independent view of a user's data: conversations with messages, memories, version figures. */
    private static List<String> summary(Database db, long user) {
        List<String> out = new ArrayList<>();
        for (Conversation c : db.conversations().list(user)) {
            out.add("conversation " + c.title() + " " + c.createdAt() + " private=" + c.isPrivate());
            db.messages().list(c.id()).forEach(m -> out.add("  " + m.role() + " " + m.status() + " " + m.createdAt() + " " + m.content()));
        }
        db.memories().list(user, true, 1000, 0).forEach(m -> out.add("memory " + m.kind() + " " + m.text() + " pinned=" + m.pinned()
                + " " + m.createdAt()));
        new AdapterVersionStore(db).list(user).forEach(v -> out.add("version " + v.version() + " " + v.state() + " " + v.serving()
                + " " + v.sha256() + " " + v.reason()));
        return out;
    }

    interface Bytes { byte[] apply(byte[] b); }

    /** The bundle with one entry changed; {@code fixChecksum}: its SHA-256 in manifest.json changed to match. */
    private Path rewritten(Path bundle, String name, String entry, Bytes change, boolean fixChecksum) throws Exception {
        Path out = dir.resolve(name);
        java.util.Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
        try (ZipFile in = new ZipFile(bundle.toFile())) {
            var it = in.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                entries.put(e.getName(), in.getInputStream(e).readAllBytes());
            }
        }
        entries.put(entry, change.apply(entries.get(entry)));
        if (fixChecksum) {
            ObjectNode manifest = (ObjectNode) JSON.readTree(entries.get("manifest.json"));
            ((ObjectNode) manifest.get("entries")).put(entry, java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(entries.get(entry))));
            entries.put("manifest.json", JSON.writeValueAsBytes(manifest));
        }
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return out;
    }

    /** The bundle with memories.json replaced by 600 MiB of spaces (a valid, if empty, JSON document). */
    private Path bomb(Path bundle) throws Exception {
        Path out = dir.resolve("bomb.zip");
        try (ZipFile in = new ZipFile(bundle.toFile()); ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            zip.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
            var it = in.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                zip.putNextEntry(new ZipEntry(e.getName()));
                if (e.getName().equals("memories.json")) {
                    byte[] spaces = new byte[1 << 20];
                    java.util.Arrays.fill(spaces, (byte) ' ');
                    zip.write('[');
                    for (int i = 0; i < 600; i++) zip.write(spaces);
                    zip.write(']');
                } else {
                    zip.write(in.getInputStream(e).readAllBytes());
                }
                zip.closeEntry();
            }
        }
        assertThat(Files.size(out)).isLessThan(2 << 20);
        return out;
    }

    private Path withExtra(Path bundle, String name, String extraEntry) throws Exception {
        Path out = dir.resolve(name);
        try (ZipFile in = new ZipFile(bundle.toFile()); ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            zip.putNextEntry(new ZipEntry(extraEntry));
            zip.write("rm -rf ~".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            var it = in.entries();
            while (it.hasMoreElements()) {
                ZipEntry e = it.nextElement();
                zip.putNextEntry(new ZipEntry(e.getName()));
                zip.write(in.getInputStream(e).readAllBytes());
                zip.closeEntry();
            }
        }
        return out;
    }
}
