package dev.lifelong.assistant.backup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.OnlineBackup;
import dev.lifelong.io.DurableFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * Backups of a data folder while the server runs, and their restore while it does not. A backup is a folder:
 * {@code lifelong.db} (SQLite online backup), {@code adapters/…} (the adapter files the database refers to) and
 * {@code backup.json} (format, date, schema version, SHA-256 of every file). It is written under a temporary name and
 * renamed when complete, so a crash never leaves something that looks like a backup but is not.
 */
public final class BackupService {
    public static final int FORMAT = 1;
    public static final String MANIFEST = "backup.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What a finished backup holds. */
    public record Summary(Path folder, int adapterFiles, long bytes) {}

    private BackupService() {}

    /** Backs up {@code dataDir} into the new folder {@code out}; {@code progress} gets (done, total) file counts. */
    public static Summary backup(Path dataDir, Path out, BiConsumer<Integer, Integer> progress) {
        Path db = dataDir.resolve("lifelong.db");
        if (!Files.isRegularFile(db)) throw new IllegalArgumentException("no database in " + dataDir + " (nothing to back up)");
        if (Files.exists(out)) throw new IllegalArgumentException(out + " already exists; name a new folder");
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + out.getFileName() + ".partial-" + UUID.randomUUID());
        try {
            Files.createDirectories(tmp);
            Path dbCopy = tmp.resolve("lifelong.db");
            OnlineBackup.copy(db, dbCopy);
            List<String> adapters = adapterFiles(dbCopy);
            int total = adapters.size() + 1;
            progress.accept(1, total);
            Map<String, String> sums = new TreeMap<>();
            sums.put("lifelong.db", sha256(dbCopy));
            long bytes = Files.size(dbCopy);
            int done = 1;
            int copied = 0;
            for (String rel : adapters) {
                Path src = safeResolve(dataDir, rel);
                if (Files.isRegularFile(src)) {
                    Path dst = safeResolve(tmp, rel);
                    Files.createDirectories(dst.getParent());
                    Files.copy(src, dst);
                    sums.put(rel, sha256(dst));
                    bytes += Files.size(dst);
                    copied++;
                }
                progress.accept(++done, total);
            }
            ObjectNode manifest = JSON.createObjectNode();
            manifest.put("format", FORMAT);
            manifest.put("createdAt", Instant.now().toString());
            manifest.put("schemaVersion", schemaVersion(dbCopy));
            ObjectNode files = manifest.putObject("files");
            sums.forEach(files::put);
            dev.lifelong.io.FaultInjection.diskFullAt("backup");
            Files.writeString(tmp.resolve(MANIFEST), JSON.writeValueAsString(manifest));
            syncTree(tmp);
            // fault injection for the crash tests: die with everything written but not yet renamed
            if ("backup".equals(System.getenv("LIFELONG_CRASH_AT"))) Runtime.getRuntime().halt(137);
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
            fsync(parent);
            return new Summary(out, copied, bytes);
        } catch (IOException e) {
            deleteTree(tmp);
            throw new UncheckedIOException("backup to " + out + " failed: " + e.getMessage() + " (nothing was left behind)", e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /**
     * Replaces the database and adapters of {@code dataDir} with the backup's. Checks the backup first (manifest,
     * checksums, integrity); keeps the replaced database as {@code lifelong.db.before-restore-TIME}. The server must be
     * stopped (the caller checks the data folder's lock).
     */
    public static Path restore(Path backup, Path dataDir) {
        verify(backup);
        try {
            Files.createDirectories(dataDir);
            Path db = dataDir.resolve("lifelong.db");
            String stamp = Instant.now().toString().replace(':', '-');
            Path kept = null;
            if (Files.exists(db)) {
                // a clean open and close folds any WAL left by a crash into the file, so nothing stale survives it
                Database.open(db).close();
                for (String side : List.of("-wal", "-journal")) {
                    if (Files.exists(dataDir.resolve("lifelong.db" + side)) && Files.size(dataDir.resolve("lifelong.db" + side)) > 0) {
                        throw new IllegalStateException("lifelong.db" + side + " is still in use: stop the server first");
                    }
                }
                kept = dataDir.resolve("lifelong.db.before-restore-" + stamp);
                Files.copy(db, kept);
                fsync(kept);
            }
            // adapters first: a crash after this step leaves the old database with extra files it does not refer to
            try (Stream<Path> walk = Files.walk(backup.resolve("adapters").toAbsolutePath())) {
                for (Path src : walk.filter(Files::isRegularFile).toList()) {
                    Path rel = backup.toAbsolutePath().relativize(src);
                    Path dst = dataDir.resolve(rel.toString());
                    Files.createDirectories(dst.getParent());
                    Path part = dst.resolveSibling(dst.getFileName() + ".restore-" + UUID.randomUUID());
                    Files.copy(src, part);
                    fsync(part);
                    Files.move(part, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (java.nio.file.NoSuchFileException noAdapters) {
                // a backup without adapters
            }
            Path part = dataDir.resolve("lifelong.db.restore-" + UUID.randomUUID());
            Files.copy(backup.resolve("lifelong.db"), part);
            fsync(part);
            Files.deleteIfExists(dataDir.resolve("lifelong.db-shm"));
            Files.deleteIfExists(dataDir.resolve("lifelong.db-wal"));
            Files.move(part, db, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsync(dataDir);
            return kept;
        } catch (IOException e) {
            throw new UncheckedIOException("restore failed: " + e.getMessage(), e);
        }
    }

    /** Throws {@link IllegalArgumentException} with the reason unless {@code backup} is a complete, intact backup. */
    public static JsonNode verify(Path backup) {
        Path manifestFile = backup.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) throw new IllegalArgumentException(backup + " is not a Lifelong backup (no " + MANIFEST + ")");
        JsonNode manifest;
        try {
            manifest = JSON.readTree(manifestFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(MANIFEST + " is not valid JSON: " + e.getMessage());
        }
        if (manifest == null || manifest.path("format").asInt(-1) != FORMAT) {
            throw new IllegalArgumentException("unknown backup format " + (manifest == null ? "?" : manifest.path("format")) + "; this version reads format " + FORMAT);
        }
        JsonNode files = manifest.path("files");
        if (!files.isObject() || !files.has("lifelong.db")) throw new IllegalArgumentException(MANIFEST + " lists no lifelong.db");
        for (var it = files.fields(); it.hasNext(); ) {
            var e = it.next();
            Path f = safeResolve(backup, e.getKey());
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException("the backup lacks " + e.getKey());
            if (!sha256(f).equals(e.getValue().asText())) throw new IllegalArgumentException(e.getKey() + " does not match its checksum (damaged or changed)");
        }
        String check = OnlineBackup.integrityCheck(backup.resolve("lifelong.db"));
        if (!check.equals("ok")) throw new IllegalArgumentException("the backup's database fails its integrity check: " + check);
        return manifest;
    }

    // ------------------------------------------------------------------ helpers

    private static List<String> adapterFiles(Path db) {
        try (var c = DriverManager.getConnection("jdbc:sqlite:file:" + db.toAbsolutePath() + "?mode=ro");
             var s = c.createStatement();
             var rs = s.executeQuery("SELECT file FROM adapter_versions WHERE file IS NOT NULL ORDER BY id")) {
            List<String> out = new ArrayList<>();
            while (rs.next()) out.add(rs.getString(1));
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the adapter list of the backup: " + e.getMessage(), e);
        }
    }

    private static int schemaVersion(Path db) {
        try (var c = DriverManager.getConnection("jdbc:sqlite:file:" + db.toAbsolutePath() + "?mode=ro");
             var s = c.createStatement(); var rs = s.executeQuery("SELECT max(version) FROM schema_version")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (SQLException e) {
            return 0;
        }
    }

    /** Resolves a relative path from the database or a manifest, refusing anything that leaves {@code root}. */
    static Path safeResolve(Path root, String rel) {
        Path base = root.toAbsolutePath().normalize();
        Path p = base.resolve(rel).normalize();
        if (rel.isEmpty() || Path.of(rel).isAbsolute() || !p.startsWith(base) || p.equals(base)) {
            throw new IllegalArgumentException("refusing path '" + rel + "' outside " + root);
        }
        return p;
    }

    static String sha256(Path file) {
        return dev.lifelong.lora.data.DatasetFiles.sha256(file);
    }

    private static void syncTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.toList()) fsync(p);
        }
    }

    private static void fsync(Path p) throws IOException {
        DurableFiles.fsync(p);
    }

    private static void deleteTree(Path dir) {
        try {
            DurableFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // best effort: the folder name starts with '.' and says 'partial'
        }
    }
}
