package dev.lifelong.memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The user's memories, always seen through their owner (another user's memory is simply not found), with their
 * full-text index and stored embedding vectors kept in step in the same transaction. Safe to call from many threads;
 * a write is durable when it returns.
 */
public final class MemoryStore {
    /** Longest memory text; a memory is a sentence or two, not a document. */
    public static final int MAX_TEXT_CHARS = 2_000;

    private static final String COLUMNS =
            "id, user_id, kind, text, source_message_id, created_at, updated_at, pinned, superseded_by, state";

    private final Database database;

    MemoryStore(Database database) {
        this.database = database;
    }

    /** A BM25 hit: the memory id and its FTS5 rank (lower is better). */
    public record TextHit(long memoryId, double bm25) {
    }

    /**
     * Stores a new memory.
     *
     * @param sourceMessageId the message it was learned from, or null
     * @throws IllegalArgumentException for a blank or too long text, an unknown user, or a source message that is not
     *     in one of the user's conversations
     */
    public Memory add(long userId, MemoryKind kind, String text, Long sourceMessageId) {
        String clean = validText(text);
        requireKind(kind);
        return database.inTransaction(connection -> insert(connection, userId, kind, clean, sourceMessageId, true));
    }

    /** A memory to store with {@link #addAll}. */
    public record NewMemory(MemoryKind kind, String text, Long sourceMessageId) {
    }

    /**
     * Stores many memories in one transaction (an import, a benchmark): all or none.
     *
     * @return their ids, in order
     * @throws IllegalArgumentException as {@link #add}, naming the first bad entry; nothing is stored then
     */
    public List<Long> addAll(long userId, List<NewMemory> memories) {
        List<String> clean = new ArrayList<>(memories.size());
        for (int i = 0; i < memories.size(); i++) {
            try {
                requireKind(memories.get(i).kind());
                clean.add(validText(memories.get(i).text()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("memory " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return database.inTransaction(connection -> {
            List<Long> ids = new ArrayList<>(memories.size());
            for (int i = 0; i < memories.size(); i++) {
                NewMemory m = memories.get(i);
                ids.add(insert(connection, userId, m.kind(), clean.get(i), m.sourceMessageId(), i == 0).id());
            }
            return ids;
        });
    }

    /**
     * Stores {@code text} as the memory that replaces {@code oldId} ("I moved to Berlin" replaces "lives in Paris"):
     * the old one stays for the record but is never retrieved again.
     *
     * @throws IllegalArgumentException if the old memory is not the user's live memory, or as {@link #add}
     */
    public Memory supersede(long userId, long oldId, MemoryKind kind, String text, Long sourceMessageId) {
        String clean = validText(text);
        requireKind(kind);
        return database.inTransaction(connection -> {
            Memory old = find(connection, userId, oldId)
                    .filter(Memory::live)
                    .orElseThrow(() -> new IllegalArgumentException("no live memory with id " + oldId));
            Memory added = insert(connection, userId, kind, clean, sourceMessageId, true);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE memories SET superseded_by = ?, updated_at = ? WHERE id = ?")) {
                update.setLong(1, added.id());
                update.setLong(2, database.clock().millis());
                update.setLong(3, old.id());
                update.executeUpdate();
            }
            unindex(connection, old.id());
            return added;
        });
    }

    /** The user's memory with that id, in whatever state; empty if there is none or it is someone else's. */
    public Optional<Memory> find(long userId, long id) {
        return database.read(connection -> find(connection, userId, id));
    }

    /** The user's memories with these ids that are still live, in the order of the ids. */
    public List<Memory> findLive(long userId, Collection<Long> ids) {
        if (ids.isEmpty()) return List.of();
        return database.read(connection -> {
            Map<Long, Memory> byId = new LinkedHashMap<>();
            try (PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS + " FROM memories WHERE id IN ("
                    + String.join(",", java.util.Collections.nCopies(ids.size(), "?")) + ")"
                    // unary + keeps SQLite from scanning the user's index instead of looking the ids up
                    + " AND +user_id = ? AND +state = 'active' AND superseded_by IS NULL")) {
                int i = 1;
                for (long id : ids) query.setLong(i++, id);
                query.setLong(i, userId);
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        Memory m = read(rs);
                        byId.put(m.id(), m);
                    }
                }
            }
            List<Memory> out = new ArrayList<>();
            for (long id : ids) if (byId.containsKey(id)) out.add(byId.get(id));
            return out;
        });
    }

    /**
     * The user's memories for the memory page, newest first: live ones, and superseded ones too when asked (as
     * history). Deleted and forgotten memories are never listed.
     */
    public List<Memory> list(long userId, boolean includeSuperseded, int limit, int offset) {
        if (limit < 1 || offset < 0) throw new IllegalArgumentException("limit must be at least 1 and offset 0 or more");
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM memories WHERE user_id = ? AND state = 'active'"
                    + (includeSuperseded ? "" : " AND superseded_by IS NULL")
                    + " ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ? OFFSET ?")) {
                query.setLong(1, userId);
                query.setInt(2, limit);
                query.setInt(3, offset);
                return readAll(query);
            }
        });
    }

    /**
     * The user's live correction memories that were made in this conversation (their source message is in it),
     * newest first: the next answer there gets them first.
     */
    public List<Memory> correctionsIn(long userId, long conversationId, int limit) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT m.id, m.user_id, m.kind, m.text,"
                    + " m.source_message_id, m.created_at, m.updated_at, m.pinned, m.superseded_by, m.state"
                    + " FROM memories m JOIN messages s ON s.id = m.source_message_id"
                    + " WHERE s.conversation_id = ? AND m.user_id = ? AND m.kind = 'correction' AND m.state = 'active'"
                    + " AND m.superseded_by IS NULL ORDER BY m.id DESC LIMIT ?")) {
                query.setLong(1, conversationId);
                query.setLong(2, userId);
                query.setInt(3, limit);
                return readAll(query);
            }
        });
    }

    /** The user's live pinned memories, oldest first: they go into every prompt. */
    public List<Memory> pinned(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS + " FROM memories"
                    + " WHERE user_id = ? AND state = 'active' AND superseded_by IS NULL AND pinned = 1 ORDER BY id")) {
                query.setLong(1, userId);
                return readAll(query);
            }
        });
    }

    /** How many live memories the user has. */
    public int countLive(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT count(*) FROM memories"
                    + " WHERE user_id = ? AND state = 'active' AND superseded_by IS NULL")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /**
     * Changes the text and kind of a live memory (the user edits it on the memory page); its vector is dropped, so
     * the caller embeds the new text.
     *
     * @throws IllegalArgumentException if it is not the user's live memory, or for a bad text
     */
    public Memory update(long userId, long id, MemoryKind kind, String text) {
        String clean = validText(text);
        requireKind(kind);
        return database.inTransaction(connection -> {
            requireLive(connection, userId, id);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE memories SET kind = ?, text = ?, updated_at = ? WHERE id = ?")) {
                update.setString(1, kind.wireName());
                update.setString(2, clean);
                update.setLong(3, database.clock().millis());
                update.setLong(4, id);
                update.executeUpdate();
            }
            unindex(connection, id);
            index(connection, id, clean);
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM memory_vectors WHERE memory_id = ?")) {
                delete.setLong(1, id);
                delete.executeUpdate();
            }
            return find(connection, userId, id).orElseThrow();
        });
    }

    /** Pins (always in the prompt) or unpins a live memory. */
    public Memory setPinned(long userId, long id, boolean pinned) {
        return database.inTransaction(connection -> {
            requireLive(connection, userId, id);
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE memories SET pinned = ?, updated_at = ? WHERE id = ?")) {
                update.setInt(1, pinned ? 1 : 0);
                update.setLong(2, database.clock().millis());
                update.setLong(3, id);
                update.executeUpdate();
            }
            return find(connection, userId, id).orElseThrow();
        });
    }

    /**
     * Deletes a memory: never retrieved or listed again. Its text stays in the row (the user may still see it in the
     * conversation it came from); use {@link #forget} to erase it.
     *
     * @return false if the user has no such memory (or it was already deleted)
     */
    public boolean delete(long userId, long id) {
        return database.inTransaction(connection -> retire(connection, userId, id, Memory.State.DELETED));
    }

    /**
     * Forgets a memory: deleted, its text and vector erased, and its source message reported by
     * {@link #forgottenSourceMessages} so no future training set contains it.
     *
     * @return false if the user has no such memory (or it was already forgotten)
     */
    public boolean forget(long userId, long id) {
        return database.inTransaction(connection -> retire(connection, userId, id, Memory.State.FORGOTTEN));
    }

    /** Ids of the messages whose memories the user forgot: the dataset builder leaves them out. */
    public List<Long> forgottenSourceMessages(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT DISTINCT source_message_id FROM memories"
                    + " WHERE user_id = ? AND state = 'forgotten' AND source_message_id IS NOT NULL ORDER BY 1")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    List<Long> out = new ArrayList<>();
                    while (rs.next()) out.add(rs.getLong(1));
                    return out;
                }
            }
        });
    }

    /** Ids of the messages whose memories the user deleted or forgot: never trained on. */
    public List<Long> retiredSourceMessages(long userId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT DISTINCT source_message_id FROM memories"
                    + " WHERE user_id = ? AND state IN ('deleted', 'forgotten') AND source_message_id IS NOT NULL ORDER BY 1")) {
                query.setLong(1, userId);
                try (ResultSet rs = query.executeQuery()) {
                    List<Long> out = new ArrayList<>();
                    while (rs.next()) out.add(rs.getLong(1));
                    return out;
                }
            }
        });
    }

    /** BM25 search over the user's live memories, best first. Empty for a query without searchable words. */
    public List<TextHit> searchText(long userId, String query, int limit) {
        String match = SearchTerms.matchAny(query == null ? "" : query);
        if (match.isEmpty()) return List.of();
        return database.read(connection -> {
            try (PreparedStatement q = connection.prepareStatement("SELECT m.id, bm25(memories_fts) AS score"
                    + " FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid"
                    + " WHERE memories_fts MATCH ? AND m.user_id = ? AND m.state = 'active' AND m.superseded_by IS NULL"
                    + " ORDER BY score, m.id DESC LIMIT ?")) {
                q.setString(1, match);
                q.setLong(2, userId);
                q.setInt(3, limit);
                try (ResultSet rs = q.executeQuery()) {
                    List<TextHit> out = new ArrayList<>();
                    while (rs.next()) out.add(new TextHit(rs.getLong(1), rs.getDouble(2)));
                    return out;
                }
            }
        });
    }

    /** Stores the embedding of a memory under the model's id (replacing an earlier one). */
    public void putVector(long memoryId, String model, float[] vector) {
        putVectors(List.of(memoryId), model, List.of(vector));
    }

    /** Stores many embeddings in one transaction; ids of memories that are gone meanwhile are skipped. */
    public void putVectors(List<Long> memoryIds, String model, List<float[]> vectors) {
        if (memoryIds.size() != vectors.size()) throw new IllegalArgumentException("one vector per memory id");
        List<byte[]> blobs = new ArrayList<>(vectors.size());
        for (float[] v : vectors) blobs.add(toBlob(v));
        database.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT OR REPLACE INTO memory_vectors (memory_id, model, vector) SELECT id, ?, ? FROM memories"
                            + " WHERE id = ? AND state = 'active'")) {
                for (int i = 0; i < blobs.size(); i++) {
                    insert.setString(1, model);
                    insert.setBytes(2, blobs.get(i));
                    insert.setLong(3, memoryIds.get(i));
                    insert.executeUpdate();
                }
            }
            return null;
        });
    }

    /** The model's vectors of the user's live memories, by memory id. */
    public Map<Long, float[]> vectors(long userId, String model) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT m.id, v.vector FROM memories m"
                    + " JOIN memory_vectors v ON v.memory_id = m.id AND v.model = ?"
                    + " WHERE m.user_id = ? AND m.state = 'active' AND m.superseded_by IS NULL ORDER BY m.id")) {
                query.setString(1, model);
                query.setLong(2, userId);
                try (ResultSet rs = query.executeQuery()) {
                    Map<Long, float[]> out = new LinkedHashMap<>();
                    while (rs.next()) out.put(rs.getLong(1), fromBlob(rs.getBytes(2)));
                    return out;
                }
            }
        });
    }

    /** Live memories (of any user) that have no vector of that model yet, oldest first: the embedder's backlog. */
    public List<Memory> withoutVector(String model, int limit) {
        return database.read(connection -> {
            // the outer columns are unqualified: memory_vectors only appears inside the subquery
            try (PreparedStatement query = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM memories m WHERE m.state = 'active'"
                    + " AND m.superseded_by IS NULL AND NOT EXISTS (SELECT 1 FROM memory_vectors v"
                    + " WHERE v.memory_id = m.id AND v.model = ?) ORDER BY m.id LIMIT ?")) {
                query.setString(1, model);
                query.setInt(2, limit);
                return readAll(query);
            }
        });
    }

    /** Records which memories the prompt of an answer contained, in rank order (replacing an earlier record). */
    public void recordUse(long messageId, List<Long> memoryIds) {
        database.inTransaction(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM message_memories WHERE message_id = ?")) {
                delete.setLong(1, messageId);
                delete.executeUpdate();
            }
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT OR IGNORE INTO message_memories (message_id, memory_id, rank) VALUES (?, ?, ?)")) {
                for (int i = 0; i < memoryIds.size(); i++) {
                    insert.setLong(1, messageId);
                    insert.setLong(2, memoryIds.get(i));
                    insert.setInt(3, i + 1);
                    insert.executeUpdate();
                }
            }
            return null;
        });
    }

    /**
     * The memories an answer's prompt contained, in rank order, as they are now: a memory deleted since is left out,
     * a forgotten one too.
     */
    public List<Memory> usedBy(long userId, long messageId) {
        return database.read(connection -> {
            try (PreparedStatement query = connection.prepareStatement("SELECT m.id, m.user_id, m.kind, m.text,"
                    + " m.source_message_id, m.created_at, m.updated_at, m.pinned, m.superseded_by, m.state"
                    + " FROM message_memories u JOIN memories m ON m.id = u.memory_id"
                    + " WHERE u.message_id = ? AND m.user_id = ? AND m.state = 'active' ORDER BY u.rank")) {
                query.setLong(1, messageId);
                query.setLong(2, userId);
                return readAll(query);
            }
        });
    }

    // ---- internals ------------------------------------------------------------------------------------------------

    private Memory insert(Connection connection, long userId, MemoryKind kind, String text, Long sourceMessageId,
            boolean checkUser) throws SQLException {
        if (checkUser && !exists(connection, "SELECT 1 FROM users WHERE id = ?", userId)) {
            throw new IllegalArgumentException("no user with id " + userId);
        }
        if (sourceMessageId != null && !exists(connection, "SELECT 1 FROM messages m JOIN conversations c"
                + " ON c.id = m.conversation_id WHERE m.id = ? AND c.user_id = " + userId, sourceMessageId)) {
            throw new IllegalArgumentException("no message with id " + sourceMessageId + " in the user's conversations");
        }
        long now = database.clock().millis();
        long id;
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO memories (user_id, kind, text,"
                + " source_message_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            insert.setLong(1, userId);
            insert.setString(2, kind.wireName());
            insert.setString(3, text);
            if (sourceMessageId == null) insert.setNull(4, java.sql.Types.INTEGER);
            else insert.setLong(4, sourceMessageId);
            insert.setLong(5, now);
            insert.setLong(6, now);
            insert.executeUpdate();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                keys.next();
                id = keys.getLong(1);
            }
        }
        index(connection, id, text);
        return find(connection, userId, id).orElseThrow();
    }

    private boolean retire(Connection connection, long userId, long id, Memory.State state) throws SQLException {
        Optional<Memory> found = find(connection, userId, id);
        if (found.isEmpty() || found.get().state() == state || found.get().state() == Memory.State.FORGOTTEN) {
            return false;
        }
        String sql = state == Memory.State.FORGOTTEN
                ? "UPDATE memories SET state = 'forgotten', text = '', pinned = 0, updated_at = ? WHERE id = ?"
                : "UPDATE memories SET state = 'deleted', pinned = 0, updated_at = ? WHERE id = ?";
        try (PreparedStatement update = connection.prepareStatement(sql)) {
            update.setLong(1, database.clock().millis());
            update.setLong(2, id);
            update.executeUpdate();
        }
        unindex(connection, id);
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM memory_vectors WHERE memory_id = ?")) {
            delete.setLong(1, id);
            delete.executeUpdate();
        }
        return true;
    }

    private static void index(Connection connection, long id, String text) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO memories_fts (rowid, terms) VALUES (?, ?)")) {
            insert.setLong(1, id);
            insert.setString(2, SearchTerms.index(text));
            insert.executeUpdate();
        }
    }

    private static void unindex(Connection connection, long id) throws SQLException {
        try (PreparedStatement delete = connection.prepareStatement("DELETE FROM memories_fts WHERE rowid = ?")) {
            delete.setLong(1, id);
            delete.executeUpdate();
        }
    }

    private void requireLive(Connection connection, long userId, long id) throws SQLException {
        if (find(connection, userId, id).filter(Memory::live).isEmpty()) {
            throw new IllegalArgumentException("no live memory with id " + id);
        }
    }

    private static boolean exists(Connection connection, String sql, long id) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(sql)) {
            query.setLong(1, id);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Optional<Memory> find(Connection connection, long userId, long id) throws SQLException {
        try (PreparedStatement query = connection.prepareStatement(
                "SELECT " + COLUMNS + " FROM memories WHERE id = ? AND user_id = ?")) {
            query.setLong(1, id);
            query.setLong(2, userId);
            try (ResultSet rs = query.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    private static List<Memory> readAll(PreparedStatement query) throws SQLException {
        try (ResultSet rs = query.executeQuery()) {
            List<Memory> out = new ArrayList<>();
            while (rs.next()) out.add(read(rs));
            return out;
        }
    }

    private static Memory read(ResultSet rs) throws SQLException {
        long source = rs.getLong(5);
        Long sourceId = rs.wasNull() ? null : source;
        long superseded = rs.getLong(9);
        Long supersededBy = rs.wasNull() ? null : superseded;
        return new Memory(rs.getLong(1), rs.getLong(2), MemoryKind.fromWire(rs.getString(3)), rs.getString(4), sourceId,
                Instant.ofEpochMilli(rs.getLong(6)), Instant.ofEpochMilli(rs.getLong(7)), rs.getInt(8) == 1,
                supersededBy, Memory.State.fromWire(rs.getString(10)));
    }

    private static String validText(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("text must not be empty");
        String clean = text.strip();
        if (clean.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException("text must be at most " + MAX_TEXT_CHARS + " characters, not " + clean.length());
        }
        if (clean.indexOf('\0') >= 0) throw new IllegalArgumentException("text must not contain NUL characters");
        return clean;
    }

    private static void requireKind(MemoryKind kind) {
        if (kind == null) throw new IllegalArgumentException("kind must not be null");
    }

    static byte[] toBlob(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : vector) {
            if (!Float.isFinite(f)) throw new IllegalArgumentException("vector must be finite");
            buffer.putFloat(f);
        }
        return buffer.array();
    }

    static float[] fromBlob(byte[] blob) {
        ByteBuffer buffer = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[blob.length / 4];
        for (int i = 0; i < out.length; i++) out[i] = buffer.getFloat();
        return out;
    }
}
