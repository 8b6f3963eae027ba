package dev.lifelong.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/** Files that survive a crash: temp file, fsync, atomic rename, fsync of the folder. */
public final class DurableFiles {
    private DurableFiles() {}

    /**
     * Replaces {@code file} with {@code bytes}: a crash leaves the old file or the new one, never a half-written one.
     * {@code ownerOnly} creates it readable by its owner only (mode 600) from the first byte. {@code faultPoint}, if
     * not null, is where {@link FaultInjection#diskFullAt} may fail the write halfway (crash tests).
     */
    public static void write(Path file, byte[] bytes, boolean ownerOnly, String faultPoint) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            if (ownerOnly && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(tmp);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer first = ByteBuffer.wrap(bytes, 0, bytes.length / 2);
                while (first.hasRemaining()) ch.write(first);
                if (faultPoint != null) FaultInjection.diskFullAt(faultPoint);
                ByteBuffer rest = ByteBuffer.wrap(bytes, bytes.length / 2, bytes.length - bytes.length / 2);
                while (rest.hasRemaining()) ch.write(rest);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsync(dir);
    }

    /** Forces a file, or a folder's entries where the file system allows it, to disk. */
    public static void fsync(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException | UnsupportedOperationException ignored) {
                // some file systems (and Windows) cannot sync a folder; the rename itself is still atomic
            }
        } else {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
        }
    }

    /** Deletes a folder and everything in it; nothing when it does not exist. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
