package dev.lifelong.memory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;

/** Per-user switches stored in {@code user_settings}. */
public final class UserSettings {
    private static final String MEMORY_EXTRACTION = "memory_extraction";

    private final Database database;

    public UserSettings(Database database) {
        this.database = database;
    }

    /** Whether memories are extracted from the user's chats automatically (on unless switched off). */
    public boolean memoryExtraction(long userId) {
        return !"off".equals(get(userId, MEMORY_EXTRACTION));
    }

    public void setMemoryExtraction(long userId, boolean on) {
        database.inTransaction(connection -> {
            try (PreparedStatement check = connection.prepareStatement("SELECT 1 FROM users WHERE id = ?")) {
                check.setLong(1, userId);
                try (ResultSet rs = check.executeQuery()) {
                    if (!rs.next()) throw new IllegalArgumentException("no user with id " + userId);
                }
            }
            try (PreparedStatement put = connection.prepareStatement(
                    "INSERT OR REPLACE INTO user_settings (user_id, name, value) VALUES (?, ?, ?)")) {
                put.setLong(1, userId);
                put.setString(2, MEMORY_EXTRACTION);
                put.setString(3, on ? "on" : "off");
                return put.executeUpdate();
            }
        });
    }

    private String get(long userId, String name) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement(
                    "SELECT value FROM user_settings WHERE user_id = ? AND name = ?")) {
                query.setLong(1, userId);
                query.setString(2, name);
                try (ResultSet rs = query.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }
}
