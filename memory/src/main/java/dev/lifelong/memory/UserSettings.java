package dev.lifelong.memory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;

/** Per-user switches stored in {@code user_settings}. */
public final class UserSettings {
    private static final String MEMORY_EXTRACTION = "memory_extraction";
    private static final String API_MEMORY = "api_memory";
    private static final String API_CONVERSATION = "api_conversation";
    private static final String UPDATE_WINDOW = "update_window";

    private final Database database;

    public UserSettings(Database database) {
        this.database = database;
    }

    /** Whether memories are extracted from the user's chats automatically (on unless switched off). */
    public boolean memoryExtraction(long userId) {
        return !"off".equals(get(userId, MEMORY_EXTRACTION));
    }

    public void setMemoryExtraction(long userId, boolean on) {
        put(userId, MEMORY_EXTRACTION, on ? "on" : "off");
    }

    /** Whether chats through the OpenAI-compatible API use and feed the memory like chats in the UI (on by default). */
    public boolean apiMemory(long userId) {
        return !"off".equals(get(userId, API_MEMORY));
    }

    public void setApiMemory(long userId, boolean on) {
        put(userId, API_MEMORY, on ? "on" : "off");
    }

    /** The conversation that collects the user's API chats, if one was made. */
    public java.util.Optional<Long> apiConversation(long userId) {
        String v = get(userId, API_CONVERSATION);
        return v == null ? java.util.Optional.empty() : java.util.Optional.of(Long.parseLong(v));
    }

    public void setApiConversation(long userId, long conversationId) {
        put(userId, API_CONVERSATION, Long.toString(conversationId));
    }

    /** The user's nightly update window as "HH:MM-HH:MM" local time, if they set one (else the installation's default). */
    public java.util.Optional<String> updateWindow(long userId) {
        return java.util.Optional.ofNullable(get(userId, UPDATE_WINDOW));
    }

    public void setUpdateWindow(long userId, String window) {
        put(userId, UPDATE_WINDOW, window);
    }

    private void put(long userId, String name, String value) {
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
                put.setString(2, name);
                put.setString(3, value);
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
