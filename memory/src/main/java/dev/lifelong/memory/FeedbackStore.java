package dev.lifelong.memory;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Verdicts on answers and the weighted training examples made from corrections. Both are written in one transaction
 * with the check that the answer is one of the user's.
 */
public final class FeedbackStore {
    /** How much more a correction counts than an ordinary turn in the nightly update. */
    public static final double CORRECTION_WEIGHT = 3.0;

    private final Database database;

    public FeedbackStore(Database database) {
        this.database = database;
    }

    /** A stored training example: the chat as JSON, the last turn being the target answer. */
    public record TrainingExample(long id, long userId, Long sourceMessageId, String kind, String messagesJson, double weight) {
    }

    /**
     * Records that the user's assistant message was wrong and what is right, and stores the weighted training example
     * {@code messagesJson} (the conversation up to the question, then the corrected answer).
     *
     * @return the training example's id
     * @throws IllegalArgumentException if the message is not an assistant message of the user's, or the text is bad
     */
    public long correct(long userId, long messageId, String correction, String messagesJson) {
        if (correction == null || correction.isBlank()) throw new IllegalArgumentException("correction must not be empty");
        if (correction.length() > MemoryStore.MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("correction must be at most " + MemoryStore.MAX_TEXT_CHARS + " characters");
        }
        return database.inTransaction(connection -> {
            requireAnswerOf(connection, userId, messageId);
            long now = database.clock().millis();
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO feedback (user_id, message_id, verdict,"
                    + " correction, created_at) VALUES (?, ?, 'wrong', ?, ?)")) {
                insert.setLong(1, userId);
                insert.setLong(2, messageId);
                insert.setString(3, correction.strip());
                insert.setLong(4, now);
                insert.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO training_examples (user_id,"
                    + " source_message_id, kind, messages, weight, created_at) VALUES (?, ?, 'correction', ?, ?, ?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                insert.setLong(1, userId);
                insert.setLong(2, messageId);
                insert.setString(3, messagesJson);
                insert.setDouble(4, CORRECTION_WEIGHT);
                insert.setLong(5, now);
                insert.executeUpdate();
                try (ResultSet keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    /** The latest verdict on an answer and whether any correction was given for it. */
    public record Verdict(long messageId, boolean wrong, boolean corrected) {
    }

    /**
     * Records the user's thumbs up ({@code good}) or down ({@code wrong}, without saying what is right) on one of their
     * answers; the latest verdict counts.
     *
     * @throws IllegalArgumentException if the message is not an assistant message of the user's
     */
    public void rate(long userId, long messageId, boolean good) {
        database.inTransaction(connection -> {
            requireAnswerOf(connection, userId, messageId);
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO feedback (user_id, message_id, verdict,"
                    + " correction, created_at) VALUES (?, ?, ?, NULL, ?)")) {
                insert.setLong(1, userId);
                insert.setLong(2, messageId);
                insert.setString(3, good ? "good" : "wrong");
                insert.setLong(4, database.clock().millis());
                insert.executeUpdate();
            }
            return null;
        });
    }

    /** Per answer of the user's that has feedback: its latest verdict and whether it was ever corrected. */
    public java.util.Map<Long, Verdict> verdicts(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT message_id, verdict, correction IS NOT NULL"
                    + " FROM feedback WHERE user_id = ? ORDER BY id")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    java.util.Map<Long, Verdict> out = new java.util.HashMap<>();
                    while (rs.next()) {
                        long id = rs.getLong(1);
                        boolean corrected = rs.getBoolean(3) || (out.containsKey(id) && out.get(id).corrected());
                        out.put(id, new Verdict(id, rs.getString(2).equals("wrong"), corrected));
                    }
                    return out;
                }
            }
        });
    }

    private static void requireAnswerOf(java.sql.Connection connection, long userId, long messageId) throws java.sql.SQLException {
        try (PreparedStatement check = connection.prepareStatement("SELECT 1 FROM messages m JOIN conversations c"
                + " ON c.id = m.conversation_id WHERE m.id = ? AND c.user_id = ? AND m.role = 'assistant'")) {
            check.setLong(1, messageId);
            check.setLong(2, userId);
            try (ResultSet rs = check.executeQuery()) {
                if (!rs.next()) throw new IllegalArgumentException("no answer with id " + messageId);
            }
        }
    }

    /** The user's training examples, oldest first (the dataset builder's input besides conversations). */
    public List<TrainingExample> examples(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT id, user_id, source_message_id, kind,"
                    + " messages, weight FROM training_examples WHERE user_id = ? ORDER BY id")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    List<TrainingExample> out = new ArrayList<>();
                    while (rs.next()) {
                        long source = rs.getLong(3);
                        out.add(new TrainingExample(rs.getLong(1), rs.getLong(2), rs.wasNull() ? null : source,
                                rs.getString(4), rs.getString(5), rs.getDouble(6)));
                    }
                    return out;
                }
            }
        });
    }
}
