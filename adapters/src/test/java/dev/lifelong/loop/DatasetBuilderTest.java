package dev.lifelong.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lifelong.lora.data.Turn;
import dev.lifelong.memory.Conversation;
import dev.lifelong.memory.Database;
import dev.lifelong.memory.FeedbackStore;
import dev.lifelong.memory.MemoryKind;
import dev.lifelong.memory.Message;
import dev.lifelong.memory.MessageStatus;
import dev.lifelong.memory.Role;
import dev.lifelong.memory.Users;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetBuilderTest {
    @TempDir Path dir;

    private static Message[] exchange(Database db, long conversation, String question, String answer, MessageStatus status) {
        Message q = db.messages().append(conversation, Role.USER, question, MessageStatus.COMPLETE);
        Message a = db.messages().append(conversation, Role.ASSISTANT, answer, status);
        return new Message[] {q, a};
    }

    @Test
    void eachCurationRuleDropsWhatItShouldAndCountsIt() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            long user = Users.OWNER_ID;
            long other = Users.create(db, "someone else");
            Conversation c = db.conversations().create(user, "chat");
            exchange(db, c.id(), "How do I boil an egg?", "Put it in boiling water for eight minutes.", MessageStatus.COMPLETE);
            exchange(db, c.id(), "how do I boil an egg", "Put it in boiling water for eight minutes!", MessageStatus.COMPLETE);
            exchange(db, c.id(), "Tell me a joke", "", MessageStatus.COMPLETE);
            exchange(db, c.id(), "And another?", "Why did the", MessageStatus.PARTIAL);
            exchange(db, c.id(), "What is 2+2?", "Something went wrong", MessageStatus.ERROR);
            Message[] rated = exchange(db, c.id(), "Capital of Spain?", "Lisbon.", MessageStatus.COMPLETE);
            Message[] corrected = exchange(db, c.id(), "Capital of Italy?", "Milan.", MessageStatus.COMPLETE);
            Message[] told = exchange(db, c.id(), "My PIN is 4711, remember it.", "I will remember that your PIN is 4711.", MessageStatus.COMPLETE);
            Message[] kept = exchange(db, c.id(), "My sister is called Lea.", "Nice! I'll remember that your sister is called Lea.", MessageStatus.COMPLETE);
            Conversation secret = db.conversations().create(user, "private");
            exchange(db, secret.id(), "A private question", "A private answer.", MessageStatus.COMPLETE);
            db.conversations().setPrivate(user, secret.id(), true);
            Conversation gone = db.conversations().create(user, "deleted");
            exchange(db, gone.id(), "Deleted question", "Deleted answer.", MessageStatus.COMPLETE);
            db.conversations().delete(user, gone.id());
            Conversation theirs = db.conversations().create(other, "not mine");
            exchange(db, theirs.id(), "Their question", "Their answer.", MessageStatus.COMPLETE);

            FeedbackStore feedback = new FeedbackStore(db);
            feedback.rate(user, rated[1].id(), false);
            feedback.correct(user, corrected[1].id(), "Rome.",
                    "[{\"role\":\"user\",\"content\":\"Capital of Italy?\"},{\"role\":\"assistant\",\"content\":\"Rome.\"}]");
            long pin = db.memories().add(user, MemoryKind.FACT, "The user's PIN is 4711.", told[0].id()).id();
            db.memories().forget(user, pin);
            long sister = db.memories().add(user, MemoryKind.FACT, "The user's sister is called Lia.", kept[0].id()).id();
            db.memories().supersede(user, sister, MemoryKind.FACT, "The user's sister is called Lea.", kept[0].id());
            db.memories().add(user, MemoryKind.PREFERENCE, "The user prefers short answers.", null);

            DatasetBuilder builder = new DatasetBuilder(db, "You are Lifelong.");
            DatasetBuilder.Curated curated = builder.interactions(user, 0, db.messages().lastIdOf(user));
            CurationReport r = curated.report();
            assertThat(r.get(CurationReport.ANSWERS)).isEqualTo(10);
            assertThat(r.get(CurationReport.KEPT_TURNS)).isEqualTo(2);
            assertThat(r.get(CurationReport.NEAR_DUPLICATE)).isEqualTo(1);
            assertThat(r.get(CurationReport.ERROR_OR_EMPTY)).isEqualTo(3);
            assertThat(r.get(CurationReport.RATED_DOWN)).isEqualTo(1);
            assertThat(r.get(CurationReport.CORRECTED)).isEqualTo(1);
            assertThat(r.get(CurationReport.CORRECTIONS)).isEqualTo(1);
            assertThat(r.get(CurationReport.RETIRED_MEMORY)).isEqualTo(1);
            assertThat(r.get(CurationReport.PRIVATE)).isEqualTo(1);

            List<String> answers = curated.examples().stream().map(e -> e.example().messages().getLast().content()).toList();
            assertThat(answers).containsExactlyInAnyOrder("Put it in boiling water for eight minutes.",
                    "Nice! I'll remember that your sister is called Lea.", "Rome.");
            assertThat(answers.toString()).doesNotContain("4711", "private", "Deleted", "Their", "Lisbon", "Milan");
            DatasetExample correction = curated.examples().stream().filter(e -> e.kind() == DatasetExample.Kind.CORRECTION).findFirst().orElseThrow();
            assertThat(correction.example().weight()).isEqualTo(FeedbackStore.CORRECTION_WEIGHT);
            assertThat(correction.example().messages()).containsExactly(Turn.system("You are Lifelong."), Turn.user("Capital of Italy?"), Turn.assistant("Rome."));

            List<DatasetExample> facts = builder.facts(user, r);
            assertThat(facts).extracting(e -> e.example().messages().getLast().content()).containsExactlyInAnyOrder("Lea", "short answers");
            assertThat(r.get(CurationReport.FACTS)).isEqualTo(2);
        }
    }

    @Test
    void onlyAnswersInTheRangeCount() {
        try (Database db = Database.open(dir.resolve("lifelong.db"))) {
            Conversation c = db.conversations().create(Users.OWNER_ID, "chat");
            Message[] first = exchange(db, c.id(), "first question", "first answer", MessageStatus.COMPLETE);
            exchange(db, c.id(), "second question", "second answer", MessageStatus.COMPLETE);
            DatasetBuilder builder = new DatasetBuilder(db, null);
            long last = db.messages().lastIdOf(Users.OWNER_ID);
            assertThat(builder.interactions(Users.OWNER_ID, first[1].id(), last).examples())
                    .extracting(e -> e.example().messages().getLast().content()).containsExactly("second answer");
            assertThat(builder.interactions(Users.OWNER_ID, 0, first[1].id()).examples())
                    .extracting(e -> e.example().messages().getFirst().content()).containsExactly("first question");
            assertThat(builder.interactions(Users.OWNER_ID, last, last).examples()).isEmpty();
        }
    }
}
