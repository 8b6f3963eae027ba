package dev.lifelong.seedling.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifelong.lora.data.ChatExample;
import dev.lifelong.lora.data.ExampleReader;
import dev.lifelong.lora.data.Turn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

class CorpusGeneratorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int N = 6000;
    private static List<GeneratedConversation> train;
    private static List<GeneratedConversation> eval;

    @BeforeAll
    static void generate() {
        train = new CorpusGenerator(1).generate(Split.TRAIN, N);
        eval = new CorpusGenerator(1).generate(Split.EVAL, 1000);
    }

    private static List<GeneratedConversation> ofKind(List<GeneratedConversation> list, Kind kind) {
        return list.stream().filter(c -> c.kind() == kind).toList();
    }

    private static List<String> blockLines(GeneratedConversation c) {
        List<String> out = new ArrayList<>();
        for (String line : c.system().split("\n")) if (line.startsWith("- ")) out.add(line.substring(2));
        return out;
    }

    @Test
    void sameSeedGivesIdenticalBytesAndAnotherSeedDiffers(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        Path c = dir.resolve("c.jsonl");
        CorpusFiles.writeExamples(new CorpusGenerator(7).training(1500), a);
        CorpusFiles.writeExamples(new CorpusGenerator(7).training(1500), b);
        CorpusFiles.writeExamples(new CorpusGenerator(8).training(1500), c);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        assertThat(Files.readAllBytes(a)).isNotEqualTo(Files.readAllBytes(c));
        Path e1 = dir.resolve("e1.jsonl");
        Path e2 = dir.resolve("e2.jsonl");
        CorpusFiles.writeEval(new CorpusGenerator(7).eval(300), e1);
        CorpusFiles.writeEval(new CorpusGenerator(7).eval(300), e2);
        assertThat(Files.readAllBytes(e1)).isEqualTo(Files.readAllBytes(e2));
        // a prefix of a longer run is the shorter run: conversations do not depend on the count asked for
        assertThat(new CorpusGenerator(7).training(3000).subList(0, 1500))
                .isEqualTo(new CorpusGenerator(7).training(1500));
    }

    @Test
    void everyExampleIsReadBackByExampleReaderAsValidUtf8WithChinese(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("corpus.jsonl");
        List<ChatExample> examples = train.stream().map(GeneratedConversation::example).toList();
        CorpusFiles.writeExamples(examples, file);
        assertThat(ExampleReader.read(file)).isEqualTo(examples);
        byte[] bytes = Files.readAllBytes(file);
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        assertThat(text).contains("已知用户信息：").contains("用户");
        assertThat(text.lines().count()).isEqualTo(N);
        for (GeneratedConversation c : train) {
            if (c.language() != Language.ZH) continue;
            String user = c.messages().stream().filter(t -> t.role().equals("user")).map(Turn::content)
                    .reduce("", String::concat);
            assertThat(user.codePoints().anyMatch(cp -> Character.UnicodeScript.of(cp) == Character.UnicodeScript.HAN))
                    .as("Chinese user text in %s", c).isTrue();
        }
    }

    @Test
    void extractionAnswersAreSchemaValidJsonOfTheUsersStatements() throws Exception {
        ExtractionSchema schema = ExtractionSchema.load();
        List<GeneratedConversation> extraction = ofKind(train, Kind.EXTRACTION);
        assertThat(extraction).hasSizeGreaterThan(500);
        int empty = 0;
        for (GeneratedConversation c : extraction) {
            assertThat(c.system()).isEqualTo(CorpusGenerator.EXTRACTION_SYSTEM_PROMPT);
            String answer = c.last().content();
            assertThat(schema.validate(answer)).as(answer).isEmpty();
            JsonNode memories = JSON.readTree(answer).get("memories");
            if (memories.isEmpty()) empty++;
            String transcript = c.messages().get(1).content();
            for (JsonNode m : memories) {
                String text = m.get("text").asText();
                assertThat(text).startsWith(c.language() == Language.ZH ? "用户" : "The user");
                // the extracted value is one the user said, not one only the assistant said
                String value = c.entities().stream().map(GeneratedConversation.Entity::value)
                        .filter(text::contains).findFirst().orElseThrow();
                assertThat(transcript.lines().filter(l -> l.startsWith("User: ")).anyMatch(l -> l.contains(value)))
                        .as("%s in user lines of %s", value, transcript).isTrue();
            }
        }
        assertThat(empty).isBetween(extraction.size() / 20, extraction.size() / 2);
    }

    @Test
    void schemaValidatorRejectsWrongShapes() {
        ExtractionSchema schema = ExtractionSchema.load();
        assertThat(schema.validate("{\"memories\":[]}")).isEmpty();
        assertThat(schema.validate("{\"memories\":[{\"kind\":\"fact\",\"text\":\"The user is 30 years old.\"}]}")).isEmpty();
        assertThat(schema.validate("{}")).singleElement().asString().contains("memories");
        assertThat(schema.validate("{\"memories\":[{\"kind\":\"opinion\",\"text\":\"x\"}]}")).isNotEmpty();
        assertThat(schema.validate("{\"memories\":[{\"kind\":\"fact\"}]}")).isNotEmpty();
        assertThat(schema.validate("{\"memories\":[{\"kind\":\"fact\",\"text\":\"\"}]}")).isNotEmpty();
        assertThat(schema.validate("{\"memories\":[],\"extra\":1}")).isNotEmpty();
        assertThat(schema.validate("{\"memories\":[{\"kind\":\"fact\",\"text\":\"x\",\"why\":\"y\"}]}")).isNotEmpty();
        assertThat(schema.validate("not json")).isNotEmpty();
        assertThat(schema.validate("[]")).isNotEmpty();
    }

    @Test
    void memoryAnswersCopyTheValueFromTheBlockAmongDistractors() {
        List<GeneratedConversation> qa = ofKind(train, Kind.MEMORY_QA);
        int withDistractors = 0;
        for (GeneratedConversation c : qa) {
            assertThat(c.system()).startsWith(c.system().startsWith(CorpusGenerator.SYSTEM_ZH)
                    ? CorpusGenerator.SYSTEM_ZH : CorpusGenerator.SYSTEM_EN);
            assertThat(c.system()).contains(c.language() == Language.ZH ? "\n" + CorpusGenerator.KNOWN_ZH + "\n- "
                    : "\n" + CorpusGenerator.KNOWN_EN + "\n- ");
            Slot slot = slot(c.slot());
            List<String> lines = blockLines(c);
            assertThat(lines.stream().filter(l -> slot.states(c.language(), l) && l.contains(c.expected())))
                    .as("block of %s", c).hasSize(1);
            assertThat(c.last().content()).contains(c.expected());
            assertThat(EvalCase.abstains(c.last().content())).isFalse();
            if (lines.size() > 1) withDistractors++;
        }
        assertThat(withDistractors).isGreaterThan(qa.size() * 8 / 10);
    }

    @Test
    void abstentionsAskForAFactAbsentFromTheBlockAndOnlyTheyAbstain() {
        for (GeneratedConversation c : train) {
            if (c.kind() == Kind.ABSTENTION) {
                Slot slot = slot(c.slot());
                assertThat(blockLines(c)).noneMatch(l -> slot.states(c.language(), l));
                assertThat(EvalCase.abstains(c.last().content())).as(c.last().content()).isTrue();
            } else if (c.kind() != Kind.EXTRACTION) {
                assertThat(c.messages().stream().filter(t -> t.role().equals("assistant")))
                        .noneMatch(t -> EvalCase.abstains(t.content()));
            }
        }
    }

    @Test
    void manyBlocksHoldAHardDistractorOfTheSameKindOfValue() {
        for (Kind kind : List.of(Kind.ABSTENTION, Kind.MEMORY_QA)) {
            List<GeneratedConversation> list = ofKind(train, kind);
            long hard = list.stream().filter(c -> {
                Slot target = slot(c.slot());
                String category = target.texts(c.language()).source().category();
                return blockLines(c).stream().anyMatch(l -> Slot.ALL.stream().anyMatch(s -> s != target
                        && s.texts(c.language()).source().category().equals(category) && s.states(c.language(), l)));
            }).count();
            assertThat(hard).as(kind.name()).isGreaterThan(list.size() * 4L / 10);
        }
    }

    @Test
    void correctionsAndToldFactsAreRepeatedInTheReply() {
        int oldInBlock = 0;
        List<GeneratedConversation> corrections = ofKind(train, Kind.CORRECTION);
        for (GeneratedConversation c : corrections) {
            assertThat(c.last().content()).contains(c.expected());
            Slot slot = slot(c.slot());
            if (blockLines(c).stream().anyMatch(l -> slot.states(c.language(), l) && !l.contains(c.expected()))) {
                oldInBlock++;
            }
        }
        assertThat(oldInBlock).isGreaterThan(corrections.size() / 2);
        for (GeneratedConversation c : ofKind(train, Kind.TELL_FACT)) {
            assertThat(c.last().content()).contains(c.expected());
            assertThat(c.messages().stream().filter(t -> t.role().equals("user")).anyMatch(t -> t.content()
                    .contains(c.expected()))).isTrue();
        }
    }

    @Test
    void evalEntitiesAreDisjointFromTrainingEntities() {
        Set<String> trainValues = new TreeSet<>();
        for (GeneratedConversation c : train) c.entities().forEach(e -> trainValues.add(e.value()));
        Set<String> evalValues = new TreeSet<>();
        for (GeneratedConversation c : eval) c.entities().forEach(e -> evalValues.add(e.value()));
        assertThat(evalValues).hasSizeGreaterThan(300).doesNotContainAnyElementsOf(trainValues);
        Set<String> poolTrain = new TreeSet<>();
        Set<String> poolEval = new TreeSet<>();
        for (Pools.ListSource s : Pools.listSources()) {
            poolTrain.addAll(s.train());
            poolEval.addAll(s.eval());
        }
        assertThat(poolEval).doesNotContainAnyElementsOf(poolTrain);
    }

    @Test
    void languageMixKindCountsAndLengthAreInRange() {
        CorpusStats stats = CorpusStats.of(train);
        assertThat((double) stats.count(Language.ZH) / N).isBetween(0.26, 0.34);
        int total = 0;
        for (Kind k : Kind.values()) total += k.weight;
        for (Kind k : Kind.values()) {
            double expected = (double) N * k.weight / total;
            assertThat((double) stats.count(k)).as(k.name()).isBetween(expected * 0.85, expected * 1.15);
        }
        assertThat(stats.distinct().get("name")).isGreaterThan(500);
        assertThat(stats.distinct().get("city")).isGreaterThan(150);
        assertThat(stats.maxEstimatedTokens()).isLessThan(512);
        assertThat(train).allMatch(c -> c.estimatedTokens() < 512);
        assertThat(stats.format()).contains("MEMORY_QA").contains("characters:");
    }

    @Test
    void everyKindHasManyWordings() {
        for (List<String> en : List.of(Templates.QUESTION_EN, Templates.ANSWER_EN, Templates.TELL_EN, Templates.ACK_EN,
                Templates.CORRECT_EN, Templates.CORRECTION_ACK_EN, Templates.ABSTAIN_EN)) {
            assertThat(Set.copyOf(en)).hasSizeGreaterThanOrEqualTo(15);
        }
        for (List<String> zh : List.of(Templates.QUESTION_ZH, Templates.ANSWER_ZH, Templates.TELL_ZH, Templates.ACK_ZH,
                Templates.CORRECT_ZH, Templates.CORRECTION_ACK_ZH, Templates.ABSTAIN_ZH)) {
            assertThat(Set.copyOf(zh)).hasSizeGreaterThanOrEqualTo(8);
        }
        assertThat(Templates.SMALL_TALK_EN.stream().mapToInt(e -> e.users().size()).sum()).isGreaterThanOrEqualTo(15);
        assertThat(Templates.SMALL_TALK_ZH.stream().mapToInt(e -> e.users().size()).sum()).isGreaterThanOrEqualTo(8);
        assertThat(Templates.BRIEF_EN.size() + Templates.DETAILED_EN.size()).isGreaterThanOrEqualTo(15);
        assertThat(Templates.BRIEF_ZH.size() + Templates.DETAILED_ZH.size()).isGreaterThanOrEqualTo(8);
        assertThat(Pools.NAMES_EN.train().size() + Pools.NAMES_EN.eval().size()).isGreaterThan(300);
    }

    @Test
    void evalCasesRoundTripAndScoreTheReferenceAnswersRight(@TempDir Path dir) {
        CorpusGenerator generator = new CorpusGenerator(1);
        List<EvalCase> cases = generator.eval(400);
        Path file = dir.resolve("eval.jsonl");
        CorpusFiles.writeEval(cases, file);
        assertThat(CorpusFiles.readEval(file)).isEqualTo(cases);
        ExtractionSchema schema = ExtractionSchema.load();
        List<GeneratedConversation> reference = generator.generate(Split.EVAL, 400);
        for (int i = 0; i < cases.size(); i++) {
            EvalCase c = cases.get(i);
            String right = reference.get(i).last().content();
            assertThat(c.prompt()).isEqualTo(reference.get(i).messages().subList(0, reference.get(i).messages().size() - 1));
            assertThat(c.passes(right, schema)).as(right).isTrue();
            String wrong = switch (c.kind()) {
                case ABSTENTION -> "Your sister is called Lea.";
                case EXTRACTION -> c.expectedJson().equals("{\"memories\":[]}")
                        ? "{\"memories\":[{\"kind\":\"fact\",\"text\":\"The user likes tea.\"}]}" : "{\"memories\":[]}";
                default -> c.language() == Language.ZH ? "我不知道。" : "I don't know that yet.";
            };
            assertThat(c.passes(wrong, schema)).as(wrong).isFalse();
        }
        assertThat(cases.stream().map(EvalCase::kind).distinct().toList())
                .containsExactlyInAnyOrderElementsOf(CorpusGenerator.EVAL_KINDS);
        assertThat(cases.get(2).passes("{\"memories\":[]} trailing", schema)).isFalse();
    }

    @Test
    void mainWritesCorpusAndEvalFiles(@TempDir Path dir) {
        Path out = dir.resolve("corpus.jsonl");
        Path evalOut = dir.resolve("sub/eval.jsonl");
        CorpusMain.main(new String[]{"--seed", "3", "--conversations", "200", "--out", out.toString(),
                "--eval-out", evalOut.toString(), "--eval-conversations", "40"});
        assertThat(ExampleReader.read(out)).hasSize(200);
        assertThat(CorpusFiles.readEval(evalOut)).hasSize(40);
    }

    private static Slot slot(String id) {
        return Slot.ALL.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    /** Experimental kinds (weight 0) must not change the default corpus: the shipped seedling's rebuild depends on it. */
    @org.junit.jupiter.api.Test
    void theDefaultCorpusIsStillTheOneTheShippedSeedlingWasTrainedOn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        var manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(java.nio.file.Path.of("..", "models", "seedling", "manifest.json").toFile());
        CorpusGenerator g = new CorpusGenerator(manifest.at("/corpus/seed").asLong());
        java.nio.file.Path corpus = dir.resolve("corpus.jsonl");
        CorpusFiles.writeExamples(g.training(manifest.at("/corpus/conversations").asInt()), corpus);
        org.assertj.core.api.Assertions.assertThat(dev.lifelong.lora.data.DatasetFiles.sha256(corpus)).isEqualTo(manifest.at("/corpus/sha256").asText());
    }
}
