package dev.lifelong.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The full-text index over past messages (user and assistant turns that are finished), maintained by the stores in
 * the same transaction as the message itself.
 */
final class MessageIndex {
    private MessageIndex() {
    }

    static boolean indexable(Role role, MessageStatus status) {
        return role != Role.SYSTEM && (status == MessageStatus.COMPLETE || status == MessageStatus.PARTIAL);
    }

    static void put(Connection connection, long messageId, String content) throws SQLException {
        remove(connection, messageId);
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO messages_fts (rowid, terms) VALUES (?, ?)")) {
            insert.setLong(1, messageId);
            insert.setString(2, SearchTerms.index(content));
            insert.executeUpdate();
        }
    }

    static void remove(Connection connection, long messageId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM messages_fts WHERE rowid = ?")) {
            delete.setLong(1, messageId);
            delete.executeUpdate();
        }
    }

    /** Removes the index rows of a conversation's messages from {@code fromId} on; call before deleting them. */
    static void removeConversation(Connection connection, long conversationId, long fromId) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM messages_fts WHERE rowid IN"
                + " (SELECT id FROM messages WHERE conversation_id = ? AND id >= ?)")) {
            delete.setLong(1, conversationId);
            delete.setLong(2, fromId);
            delete.executeUpdate();
        }
    }

    /** Indexes finished messages the index does not have yet (messages written before V2, or by an older build). */
    static int backfill(Connection connection) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'messages_fts'");
             ResultSet rs = query.executeQuery()) {
            if (!rs.next()) return 0;
        }
        List<long[]> ids = new ArrayList<>();
        List<String> contents = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("SELECT id, content FROM messages m"
                + " WHERE role <> 'system' AND status IN ('complete', 'partial')"
                + " AND NOT EXISTS (SELECT 1 FROM messages_fts f WHERE f.rowid = m.id)");
             ResultSet rs = query.executeQuery()) {
            while (rs.next()) {
                ids.add(new long[] {rs.getLong(1)});
                contents.add(rs.getString(2));
            }
        }
        if (ids.isEmpty()) return 0;
        try (var statement = connection.createStatement()) {
            statement.execute("BEGIN IMMEDIATE");
            try {
                for (int i = 0; i < ids.size(); i++) put(connection, ids.get(i)[0], contents.get(i));
                statement.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                statement.execute("ROLLBACK");
                throw e;
            }
        }
        return ids.size();
    }
}
