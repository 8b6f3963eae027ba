package dev.lifelong.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Kills a writing JVM with SIGKILL and checks that every write it saw committed survived, in an intact file. */
class CrashSafetyTest {
    private static final int COMMITS_BEFORE_KILL = 25;

    @TempDir
    Path dir;

    @Test
    @Timeout(120) // guards against a child that stalls without exiting; not a performance bound
    void everyCommittedMessageSurvivesAKilledWriter() throws Exception {
        Path file = dir.resolve("lifelong.db");
        Path childErrors = dir.resolve("child-stderr.txt");
        String java = ProcessHandle.current().info().command()
                .orElseGet(() -> Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), file.toString()))
                .redirectError(childErrors.toFile())
                .start();

        Map<Long, String> committed = new LinkedHashMap<>();
        long generatingId;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            assertThat(first).as("child stderr: %s", readQuietly(childErrors)).startsWith("generating\t");
            generatingId = Long.parseLong(first.split("\t")[1]);
            while (committed.size() < COMMITS_BEFORE_KILL) {
                String line = out.readLine();
                assertThat(line).as("child stderr: %s", readQuietly(childErrors)).isNotNull();
                String[] parts = line.split("\t", 2);
                committed.put(Long.parseLong(parts[0]), parts[1]);
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close()
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
            // destroyForcibly closes our end of the pipe, so lines printed after the last read are not seen;
            // they may exist in the database, which the subset check below allows.
        } finally {
            child.destroyForcibly();
        }

        try (Database db = Database.open(file)) {
            String integrity = db.read(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertThat(integrity).isEqualTo("ok");

            Conversation conversation = db.conversations().list(Users.OWNER_ID).getFirst();
            Map<Long, String> stored = new LinkedHashMap<>();
            for (Message m : db.messages().list(conversation.id())) {
                stored.put(m.id(), m.content());
            }
            assertThat(stored).containsAllEntriesOf(committed);

            assertThat(db.messages().markInterrupted()).isEqualTo(1);
            assertThat(db.messages().list(conversation.id()).getFirst())
                    .extracting(Message::id, Message::status)
                    .containsExactly(generatingId, MessageStatus.PARTIAL);
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (Exception e) {
            return "(unreadable: " + e + ")";
        }
    }
}
