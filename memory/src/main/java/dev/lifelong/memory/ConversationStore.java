package dev.lifelong.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Conversations, always seen through their owner: every lookup takes the user id, and another user's conversation is
 * simply not found. Safe to call from many threads.
 */
public final class ConversationStore {
    private static final String COLUMNS = "id, user_id, title, created_at, updated_at, is_private";

    private final Database database;

    ConversationStore(Database database) {
        this.database = database;
    }

    /**
     * Starts a conversation of the user.
     *
     * @throws IllegalArgumentException if the title is null or the user does not exist
     */
    public Conversation create(long userId, String title) {
        Database.requireText(title, "title");
        return database.inTransaction(connection -> {
            if (!userExists(connection, userId)) {
                throw new IllegalArgumentException("no user with id " + userId);
            }
            long now = database.clock().millis();
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO conversations (user_id, title, created_at, updated_at) VALUES (?, ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, userId);
                insert.setString(2, title);
                insert.setLong(3, now);
                insert.setLong(4, now);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    Instant at = Instant.ofEpochMilli(now);
                    return new Conversation(keys.getLong(1), userId, title, at, at);
                }
            }
        });
    }

    /** The user's conversation with that id; empty if there is none or it belongs to someone else. */
    public Optional<Conversation> find(long userId, long id) {
        return database.read(connection -> find(connection, userId, id));
    }

    /** The user's conversations, most recently updated first (ties: newest id first). */
    public List<Conversation> list(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM conversations WHERE user_id = ? ORDER BY updated_at DESC, id DESC")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    List<Conversation> result = new ArrayList<>();
                    while (rs.next()) {
                        result.add(read(rs));
                    }
                    return result;
                }
            }
        });
    }

    /**
     * Gives the user's conversation a new title; counts as an update (updated_at moves).
     *
     * @return the renamed conversation, or empty if the user has no such conversation
     * @throws IllegalArgumentException if the title is null
     */
    public Optional<Conversation> rename(long userId, long id, String title) {
        Database.requireText(title, "title");
        return update(userId, id, title, null);
    }

    /**
     * Marks the user's conversation private (never used for training) or not; not an update (updated_at stays).
     *
     * @return the conversation, or empty if the user has no such conversation
     */
    public Optional<Conversation> setPrivate(long userId, long id, boolean isPrivate) {
        return update(userId, id, null, isPrivate);
    }

    /**
     * Renames and/or marks private in one transaction: both changes or neither. {@code title} null keeps the title
     * (a new title is an update: updated_at moves); {@code isPrivate} null keeps the flag.
     *
     * @return the conversation, or empty if the user has no such conversation
     */
    public Optional<Conversation> update(long userId, long id, String title, Boolean isPrivate) {
        if (title != null) Database.requireText(title, "title");
        return database.inTransaction(connection -> {
            if (find(connection, userId, id).isEmpty()) return Optional.empty();
            if (title != null) {
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ? AND user_id = ?")) {
                    update.setString(1, title);
                    update.setLong(2, database.clock().millis());
                    update.setLong(3, id);
                    update.setLong(4, userId);
                    update.executeUpdate();
                }
            }
            if (isPrivate != null) {
                try (PreparedStatement update = connection.prepareStatement(
                        "UPDATE conversations SET is_private = ? WHERE id = ? AND user_id = ?")) {
                    update.setInt(1, isPrivate ? 1 : 0);
                    update.setLong(2, id);
                    update.setLong(3, userId);
                    update.executeUpdate();
                }
            }
            return find(connection, userId, id);
        });
    }

    /** Deletes the user's conversation with all its messages; false if the user has no such conversation. */
    public boolean delete(long userId, long id) {
        return database.inTransaction(connection -> {
            if (find(connection, userId, id).isEmpty()) return false;
            MessageIndex.removeConversation(connection, id, 0);
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM conversations WHERE id = ? AND user_id = ?")) {
                delete.setLong(1, id);
                delete.setLong(2, userId);
                return delete.executeUpdate() > 0;
            }
        });
    }

    private static Optional<Conversation> find(Connection connection, long userId, long id) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM conversations WHERE id = ? AND user_id = ?")) {
            query.setLong(1, id);
            query.setLong(2, userId);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static boolean userExists(Connection connection, long userId) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement("SELECT 1 FROM users WHERE id = ?")) {
            query.setLong(1, userId);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Conversation read(ResultSet rs) throws SQLException {
        return new Conversation(rs.getLong(1), rs.getLong(2), rs.getString(3),
                Instant.ofEpochMilli(rs.getLong(4)), Instant.ofEpochMilli(rs.getLong(5)), rs.getInt(6) != 0);
    }
}
