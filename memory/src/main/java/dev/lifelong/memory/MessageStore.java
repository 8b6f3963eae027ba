package dev.lifelong.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Messages of conversations. Methods take a conversation id, not a user id: check ownership with
 * {@link ConversationStore#find(long, long)} first. Every write is committed (fsynced) when the method returns. Safe to
 * call from many threads.
 */
public final class MessageStore {
    private static final String COLUMNS = "id, conversation_id, role, content, status, created_at";

    private final Database database;

    MessageStore(Database database) {
        this.database = database;
    }

    /**
     * Adds a message at the end of the conversation and marks the conversation updated.
     *
     * @throws IllegalArgumentException if an argument is null or the conversation does not exist
     */
    public Message append(long conversationId, Role role, String content, MessageStatus status) {
        requireNonNull(role, "role");
        Database.requireText(content, "content");
        requireNonNull(status, "status");
        return database.inTransaction(connection -> {
            long now = database.clock().millis();
            if (!touchConversation(connection, conversationId, now)) {
                throw new IllegalArgumentException("no conversation with id " + conversationId);
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO messages (conversation_id, role, content, status, created_at) VALUES (?, ?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, conversationId);
                insert.setString(2, role.wireName());
                insert.setString(3, content);
                insert.setString(4, status.wireName());
                insert.setLong(5, now);
                insert.executeUpdate();
                long id;
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    id = keys.getLong(1);
                }
                if (MessageIndex.indexable(role, status)) MessageIndex.put(connection, id, content);
                return new Message(id, conversationId, role, content, status, Instant.ofEpochMilli(now));
            }
        });
    }

    /**
     * Sets the final content and status of a message (typically an assistant answer appended as GENERATING) and marks
     * its conversation updated. Calling it with GENERATING checkpoints the text written so far.
     *
     * @throws IllegalArgumentException if an argument is null or the message does not exist
     */
    public Message finish(long messageId, String content, MessageStatus status) {
        Database.requireText(content, "content");
        requireNonNull(status, "status");
        return database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE messages SET content = ?, status = ? WHERE id = ?")) {
                update.setString(1, content);
                update.setString(2, status.wireName());
                update.setLong(3, messageId);
                if (update.executeUpdate() == 0) {
                    throw new IllegalArgumentException("no message with id " + messageId);
                }
            }
            Message message = find(connection, messageId).orElseThrow();
            if (MessageIndex.indexable(message.role(), status)) MessageIndex.put(connection, messageId, content);
            else MessageIndex.remove(connection, messageId);
            touchConversation(connection, message.conversationId(), database.clock().millis());
            return message;
        });
    }

    /** The conversation's messages in the order they were appended; empty for an unknown conversation. */
    public List<Message> list(long conversationId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM messages WHERE conversation_id = ? ORDER BY id")) {
                query.setLong(1, conversationId);
                try (ResultSet rs = query.executeQuery()) {
                    List<Message> result = new ArrayList<>();
                    while (rs.next()) {
                        result.add(read(rs));
                    }
                    return result;
                }
            }
        });
    }

    /**
     * Searches the user's past messages (finished user and assistant turns of every conversation), best BM25 match
     * first. Empty for a query without searchable words.
     */
    public List<MessageHit> search(long userId, String query, int limit) {
        if (limit < 1) throw new IllegalArgumentException("limit must be at least 1");
        String match = SearchTerms.matchAny(query == null ? "" : query);
        if (match.isEmpty()) return List.of();
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT m.id, m.conversation_id, m.role, m.content,"
                    + " m.status, m.created_at, c.title FROM messages_fts f JOIN messages m ON m.id = f.rowid"
                    + " JOIN conversations c ON c.id = m.conversation_id"
                    + " WHERE messages_fts MATCH ? AND c.user_id = ? ORDER BY bm25(messages_fts), m.id DESC LIMIT ?")) {
                q.setString(1, match);
                q.setLong(2, userId);
                q.setInt(3, limit);
                try (ResultSet rs = q.executeQuery()) {
                    List<MessageHit> out = new ArrayList<>();
                    while (rs.next()) {
                        Message m = read(rs);
                        out.add(new MessageHit(m, rs.getString(7), Snippets.around(m.content(), query, 160)));
                    }
                    return out;
                }
            }
        });
    }

    /** The message with that id, if any (check ownership through its conversation). */
    public Optional<Message> find(long messageId) {
        return database.read(connection -> find(connection, messageId));
    }

    /** The conversation's latest message, if any. */
    public Optional<Message> last(long conversationId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1")) {
                query.setLong(1, conversationId);
                try (ResultSet rs = query.executeQuery()) {
                    return rs.next() ? Optional.of(read(rs)) : Optional.empty();
                }
            }
        });
    }

    /**
     * Deletes the message and every later message of the same conversation (for regenerate and edit).
     *
     * @return how many messages were deleted; 0 if the message is not in that conversation
     */
    public int deleteFrom(long conversationId, long messageId) {
        return database.inTransaction(connection -> {
            try (PreparedStatement check = connection.prepareStatement(
                    "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?")) {
                check.setLong(1, messageId);
                check.setLong(2, conversationId);
                try (ResultSet rs = check.executeQuery()) {
                    if (!rs.next()) {
                        return 0;
                    }
                }
            }
            MessageIndex.removeConversation(connection, conversationId, messageId);
            int deleted;
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM messages WHERE conversation_id = ? AND id >= ?")) {
                delete.setLong(1, conversationId);
                delete.setLong(2, messageId);
                deleted = delete.executeUpdate();
            }
            touchConversation(connection, conversationId, database.clock().millis());
            return deleted;
        });
    }

    /**
     * Turns every GENERATING message into PARTIAL. Call once at startup, before serving: a message still generating then
     * was being written when the server died.
     *
     * @return how many messages were marked
     */
    public int markInterrupted() {
        return database.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE messages SET status = ? WHERE status = ?")) {
                update.setString(1, MessageStatus.PARTIAL.wireName());
                update.setString(2, MessageStatus.GENERATING.wireName());
                return update.executeUpdate();
            }
        });
    }

    private static boolean touchConversation(Connection connection, long conversationId, long now)
            throws SQLException {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE conversations SET updated_at = ? WHERE id = ?")) {
            update.setLong(1, now);
            update.setLong(2, conversationId);
            return update.executeUpdate() > 0;
        }
    }

    private static Optional<Message> find(Connection connection, long messageId) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM messages WHERE id = ?")) {
            query.setLong(1, messageId);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static Message read(ResultSet rs) throws SQLException {
        return new Message(rs.getLong(1), rs.getLong(2), Role.fromWire(rs.getString(3)), rs.getString(4),
                MessageStatus.fromWire(rs.getString(5)), Instant.ofEpochMilli(rs.getLong(6)));
    }

    private static void requireNonNull(Object value, String what) {
        if (Objects.isNull(value)) {
            throw new IllegalArgumentException(what + " must not be null");
        }
    }

    /** The id of the user's newest message (0 if none): the end of the data an update started now may use. */
    public long lastIdOf(long userId) {
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT COALESCE(MAX(m.id), 0) FROM messages m"
                    + " JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = ?")) {
                q.setLong(1, userId);
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
