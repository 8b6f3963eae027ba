package dev.lifelong.memory;

import static dev.lifelong.memory.Users.OWNER_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MessageStoreTest {
    private static final Instant START = Instant.parse("2026-03-04T05:06:07.089Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(START);
    private Database db;
    private MessageStore messages;
    private Conversation conversation;

    @BeforeEach
    void open() {
        db = Database.open(dir.resolve("lifelong.db"), clock);
        messages = db.messages();
        conversation = db.conversations().create(OWNER_ID, "chat");
    }

    @AfterEach
    void close() {
        db.close();
    }

    @Test
    void appendListLastInInsertionOrder() {
        assertThat(messages.last(conversation.id())).isEmpty();
        Message system = messages.append(conversation.id(), Role.SYSTEM, "Be brief.", MessageStatus.COMPLETE);
        clock.advance(Duration.ofSeconds(2));
        Message user = messages.append(conversation.id(), Role.USER, "Hi", MessageStatus.COMPLETE);
        Message answer = messages.append(conversation.id(), Role.ASSISTANT, "", MessageStatus.GENERATING);

        assertThat(system.createdAt()).isEqualTo(START);
        assertThat(user.createdAt()).isEqualTo(START.plusSeconds(2));
        assertThat(messages.list(conversation.id())).containsExactly(system, user, answer);
        assertThat(messages.last(conversation.id())).contains(answer);
        assertThat(db.conversations().find(OWNER_ID, conversation.id()).orElseThrow().updatedAt())
                .isEqualTo(START.plusSeconds(2));
    }

    @Test
    void finishSetsFinalContentAndStatus() {
        messages.append(conversation.id(), Role.USER, "Tell me a joke", MessageStatus.COMPLETE);
        Message answer = messages.append(conversation.id(), Role.ASSISTANT, "", MessageStatus.GENERATING);
        clock.advance(Duration.ofSeconds(5));

        Message done = messages.finish(answer.id(), "Why did the chicken...", MessageStatus.COMPLETE);

        assertThat(done).isEqualTo(new Message(answer.id(), conversation.id(), Role.ASSISTANT,
                "Why did the chicken...", MessageStatus.COMPLETE, answer.createdAt()));
        assertThat(messages.last(conversation.id())).contains(done);
        assertThat(db.conversations().find(OWNER_ID, conversation.id()).orElseThrow().updatedAt())
                .isEqualTo(START.plusSeconds(5));
        assertThatThrownBy(() -> messages.finish(999_999, "x", MessageStatus.ERROR))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("999999");
    }

    @Test
    void deleteFromRemovesThatMessageAndEveryLaterOneOfTheConversationOnly() {
        Conversation other = db.conversations().create(OWNER_ID, "other");
        Message m1 = messages.append(conversation.id(), Role.USER, "1", MessageStatus.COMPLETE);
        Message m2 = messages.append(conversation.id(), Role.ASSISTANT, "2", MessageStatus.COMPLETE);
        Message o1 = messages.append(other.id(), Role.USER, "other 1", MessageStatus.COMPLETE);
        messages.append(conversation.id(), Role.USER, "3", MessageStatus.COMPLETE);
        messages.append(conversation.id(), Role.ASSISTANT, "4", MessageStatus.PARTIAL);

        assertThat(messages.deleteFrom(conversation.id(), o1.id())).as("message of another conversation").isZero();
        assertThat(messages.deleteFrom(conversation.id(), m2.id())).isEqualTo(3);

        assertThat(messages.list(conversation.id())).containsExactly(m1);
        assertThat(messages.list(other.id())).containsExactly(o1);
        assertThat(messages.deleteFrom(conversation.id(), m2.id())).isZero();
    }

    @Test
    void markInterruptedTurnsGeneratingIntoPartial() {
        Message complete = messages.append(conversation.id(), Role.ASSISTANT, "done", MessageStatus.COMPLETE);
        Message error = messages.append(conversation.id(), Role.ASSISTANT, "oops", MessageStatus.ERROR);
        Message cut = messages.append(conversation.id(), Role.ASSISTANT, "half an ans", MessageStatus.GENERATING);

        assertThat(messages.markInterrupted()).isEqualTo(1);
        assertThat(messages.markInterrupted()).isZero();

        assertThat(messages.list(conversation.id())).extracting(Message::id, Message::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple(complete.id(), MessageStatus.COMPLETE),
                org.assertj.core.groups.Tuple.tuple(error.id(), MessageStatus.ERROR),
                org.assertj.core.groups.Tuple.tuple(cut.id(), MessageStatus.PARTIAL));
        assertThat(messages.last(conversation.id()).orElseThrow().content()).isEqualTo("half an ans");
    }

    @Test
    void unicodeRoundTrips() {
        String content = "你好，世界 🌍👩‍👩‍👧‍👦 café naïve — 日本語テキスト \uD83E\uDD16 \u0000 end";
        String title = "旅行計画 ✈️🏯";
        Conversation c = db.conversations().create(OWNER_ID, title);
        Message m = messages.append(c.id(), Role.USER, content, MessageStatus.COMPLETE);

        db.close();
        db = Database.open(dir.resolve("lifelong.db"), clock);

        assertThat(db.conversations().find(OWNER_ID, c.id()).orElseThrow().title()).isEqualTo(title);
        assertThat(db.messages().list(c.id())).containsExactly(m);
        assertThat(db.messages().list(c.id()).getFirst().content()).isEqualTo(content);
    }

    @Test
    void badInputIsRejectedAndLosesNothing() {
        Message kept = messages.append(conversation.id(), Role.USER, "kept", MessageStatus.COMPLETE);
        assertThatThrownBy(() -> messages.append(conversation.id(), null, "x", MessageStatus.COMPLETE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("role");
        assertThatThrownBy(() -> messages.append(conversation.id(), Role.USER, null, MessageStatus.COMPLETE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("content");
        assertThatThrownBy(() -> messages.append(conversation.id(), Role.USER, "x", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status");
        assertThatThrownBy(() -> messages.append(777, Role.USER, "x", MessageStatus.COMPLETE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("777");
        assertThatThrownBy(() -> messages.finish(kept.id(), null, MessageStatus.COMPLETE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("content");
        assertThat(messages.list(conversation.id())).containsExactly(kept);
        assertThat(messages.list(777)).isEmpty();
    }

    @Test
    void wireNamesRoundTrip() {
        for (Role role : Role.values()) {
            assertThat(Role.fromWire(role.wireName())).isSameAs(role);
        }
        for (MessageStatus status : MessageStatus.values()) {
            assertThat(MessageStatus.fromWire(status.wireName())).isSameAs(status);
        }
        assertThat(List.of(Role.SYSTEM.wireName(), Role.USER.wireName(), Role.ASSISTANT.wireName()))
                .containsExactly("system", "user", "assistant");
        assertThat(MessageStatus.GENERATING.wireName()).isEqualTo("generating");
        assertThatThrownBy(() -> Role.fromWire("robot")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("robot");
        assertThatThrownBy(() -> Role.fromWire("USER")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MessageStatus.fromWire(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
