package dev.lifelong.lora.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ExampleReaderTest {
    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        return Files.writeString(dir.resolve("data.jsonl"), content);
    }

    @Test
    void readsExamplesSkippingBlankLines() throws IOException {
        Path f = file("""
                {"messages":[{"role":"system","content":"s"},{"role":"user","content":"u 😀"},{"role":"assistant","content":"a"}]}

                {"messages":[{"role":"user","content":"u2"},{"role":"assistant","content":"a2"}],"weight":3}\r
                """);
        List<ChatExample> examples = ExampleReader.read(f);
        assertThat(examples).containsExactly(
                new ChatExample(List.of(Turn.system("s"), Turn.user("u 😀"), Turn.assistant("a")), 1.0),
                new ChatExample(List.of(Turn.user("u2"), Turn.assistant("a2")), 3.0));
    }

    @Test
    void reportsEveryBadLineWithItsNumberAndReason() throws IOException {
        Path f = file("""
                {"messages":[{"role":"user","content":"ok"},{"role":"assistant","content":"fine"}]}
                {"messages":[{"role":"user","content":"x"}
                {"weight":2}
                {"messages":[{"role":"robot","content":"x"},{"role":"assistant","content":"y"}]}
                {"messages":[{"role":"user","content":["x"]},{"role":"assistant","content":"y"}]}

                {"messages":[{"role":"user","content":"only a question"}]}
                {"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"weight":0}
                {"messages":[{"role":"user","content":"x"},{"role":"system","content":"s"},{"role":"assistant","content":"y"}]}
                """);
        DatasetException e = catchThrowableOfType(DatasetException.class, () -> ExampleReader.read(f));
        assertThat(e.problems()).extracting(DatasetException.Problem::line).containsExactly(2, 3, 4, 5, 7, 8, 9);
        assertThat(e.problems().get(0).reason()).startsWith("malformed JSON");
        assertThat(e.problems().get(1).reason()).isEqualTo("missing \"messages\"");
        assertThat(e.problems().get(2).reason()).contains("unknown role \"robot\"");
        assertThat(e.problems().get(3).reason()).isEqualTo("messages[0].content must be a string, got an array");
        assertThat(e.problems().get(4).reason()).contains("no assistant message");
        assertThat(e.problems().get(5).reason()).contains("\"weight\" must be a finite number > 0, got 0");
        assertThat(e.problems().get(6).reason()).contains("messages[1] is a system message");
        assertThat(e.getMessage()).contains("7 problems", "line 2: ", "line 3: ", "line 4: ", "line 5: ", "line 7: ",
                "line 8: ", "line 9: ").doesNotContain("line 1:", "line 6:");
    }

    @Test
    void fiveDifferentBadLinesAreNamedInOneException() throws IOException {
        Path f = file("""
                not json
                {"messages":"hi"}
                {"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"weight":"high"}
                {"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}],"wieght":2}
                {"messages":[{"role":"user","content":"x"},{"role":"assistant"}]}
                """);
        assertThatThrownBy(() -> ExampleReader.read(f)).isInstanceOf(DatasetException.class)
                .hasMessageContainingAll("5 problems", "line 1: malformed JSON",
                        "line 2: \"messages\" must be an array, got a string",
                        "line 3: \"weight\" must be a number, got a string",
                        "line 4: unknown field \"wieght\"",
                        "line 5: messages[1] has no \"content\"");
    }

    @Test
    void listsTwentyProblemsThenCountsTheRest() throws IOException {
        Path f = file("{}\n".repeat(25));
        DatasetException e = catchThrowableOfType(DatasetException.class, () -> ExampleReader.read(f));
        assertThat(e.problems()).hasSize(25);
        assertThat(e.getMessage()).contains("line 20: missing", "and 5 more").doesNotContain("line 21:");
    }

    @Test
    void byteOrderMarkAndInvalidUtf8AreNamedWithTheirLines() throws IOException {
        byte[] good = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] bad = "{\"messages\":[{\"role\":\"user\",\"content\":\"\u00ff".getBytes(StandardCharsets.ISO_8859_1);
        Path f = dir.resolve("enc.jsonl");
        Files.write(f, concat(bom, good, good, bad, "\"}]}\n".getBytes(StandardCharsets.UTF_8)));
        DatasetException e = catchThrowableOfType(DatasetException.class, () -> ExampleReader.read(f));
        assertThat(e.problems()).extracting(DatasetException.Problem::line).containsExactly(1, 3);
        assertThat(e.problems().get(0).reason()).contains("byte order mark");
        assertThat(e.problems().get(1).reason()).contains("invalid UTF-8", "at byte " + (bad.length));
    }

    @Test
    void unpairedSurrogateEscapeIsRejected() throws IOException {
        Path f = file("{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00 ok\"},"
                + "{\"role\":\"assistant\",\"content\":\"bad \\ud800\"}]}\n");
        assertThatThrownBy(() -> ExampleReader.read(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("line 1: messages[1].content has an unpaired surrogate \\uD800");
    }

    @Test
    void emptyFileIsAnError() throws IOException {
        Path f = file("\n\n");
        assertThatThrownBy(() -> ExampleReader.read(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("no examples");
    }

    @Test
    void sha256OfTheFileBytes() throws IOException {
        assertThat(DatasetFiles.sha256(file("abc")))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void chatExampleChecksItsWeight() {
        List<Turn> turns = List.of(Turn.user("u"), Turn.assistant("a"));
        assertThat(new ChatExample(turns).weight()).isEqualTo(1.0);
        assertThatThrownBy(() -> new ChatExample(turns, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChatExample(turns, Double.POSITIVE_INFINITY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChatExample(turns, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
