package dev.lifelong.memory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One user's rows, table by table, for export and import between installations. Export reads a consistent snapshot
 * (one read); import writes everything in one transaction with fresh ids, mapping every reference (message of a
 * memory, parent of an adapter version, …), so a failed or interrupted import leaves nothing behind. Vectors are not
 * carried: they belong to this installation's embedding models and are recomputed (the backlog).
 */
public final class UserArchive {
    /** The tables and columns carried, in the order an import needs them. {@code id} is remapped. */
    public static final Map<String, List<String>> TABLES = tables();

    private static Map<String, List<String>> tables() {
        Map<String, List<String>> t = new LinkedHashMap<>();
        t.put("conversations", List.of("id", "title", "created_at", "updated_at", "is_private"));
        t.put("messages", List.of("id", "conversation_id", "role", "content", "status", "created_at"));
        t.put("memories", List.of("id", "kind", "text", "source_message_id", "created_at", "updated_at", "pinned", "superseded_by", "state"));
        t.put("feedback", List.of("id", "message_id", "verdict", "correction", "created_at"));
        t.put("training_examples", List.of("id", "source_message_id", "kind", "messages", "weight", "created_at"));
        t.put("adapter_versions", List.of("id", "version", "parent_id", "state", "serving", "file", "sha256", "base_sha256",
                "dataset_sha256", "data_until_message_id", "report", "reason", "created_at", "promoted_at"));
        t.put("user_settings", List.of("name", "value"));
        return t;
    }

    /** The user setting that holds a conversation id (see UserSettings). */
    private static final String API_CONVERSATION_SETTING = "api_conversation";

    private static final Map<String, String> WHERE = Map.of(
            "messages", "conversation_id IN (SELECT id FROM conversations WHERE user_id = ?)");

    private UserArchive() {}

    /** Every carried row of the user, by table. Values are Long, Double, String or null. */
    public static Map<String, List<Map<String, Object>>> export(Database db, long userId) {
        return db.read(c -> {
            Map<String, List<Map<String, Object>>> out = new LinkedHashMap<>();
            for (var e : TABLES.entrySet()) {
                String where = WHERE.getOrDefault(e.getKey(), "user_id = ?");
                String order = e.getValue().contains("id") ? " ORDER BY id" : " ORDER BY name";
                try (PreparedStatement q = c.prepareStatement("SELECT " + String.join(", ", e.getValue()) + " FROM " + e.getKey()
                        + " WHERE " + where + order)) {
                    q.setLong(1, userId);
                    try (ResultSet rs = q.executeQuery()) {
                        out.put(e.getKey(), rows(rs));
                    }
                }
            }
            return out;
        });
    }

    /**
     * What an import made. {@code intoOwner}: the rows went to this installation's owner (who had nothing yet) instead of
     * a new user.
     */
    public record Imported(long userId, boolean intoOwner, Map<String, Integer> counts, Map<Long, Long> adapterVersionIds) {}

    /** The bundle's user name is taken here by someone the import must not write into. */
    public static final class NameTakenException extends IllegalArgumentException {
        private final String name;

        NameTakenException(String name, String why) {
            super("a user called '" + name + "' already exists here" + why);
            this.name = name;
        }

        public String name() { return name; }
    }

    /**
     * The owner's id when {@code name} is the owner's name and the owner has nothing of their own yet (no conversations,
     * memories, training examples or adapter versions): a fresh installation, where an import of the same name is
     * someone moving in, not a clash. Empty otherwise.
     */
    public static java.util.Optional<Long> emptyOwnerCalled(Database db, String name) {
        return db.read(c -> emptyOwnerCalled(c, name));
    }

    private static java.util.Optional<Long> emptyOwnerCalled(Connection c, String name) throws SQLException {
        try (var q = c.prepareStatement("SELECT id FROM users WHERE name = ? COLLATE NOCASE AND role = 'owner'")) {
            q.setString(1, name);
            try (var rs = q.executeQuery()) {
                if (!rs.next()) return java.util.Optional.empty();
                long owner = rs.getLong(1);
                return hasOwnData(c, owner) ? java.util.Optional.empty() : java.util.Optional.of(owner);
            }
        }
    }

    /** Whether the user has anything an import would mix with (settings, keys and jobs do not count). */
    private static boolean hasOwnData(Connection c, long userId) throws SQLException {
        for (String table : List.of("conversations", "memories", "training_examples", "adapter_versions")) {
            try (var q = c.prepareStatement("SELECT 1 FROM " + table + " WHERE user_id = ? LIMIT 1")) {
                q.setLong(1, userId);
                try (var rs = q.executeQuery()) {
                    if (rs.next()) return true;
                }
            }
        }
        return false;
    }

    /**
     * Creates the member {@code name} with the rows (as {@link #export} gives them, e.g. read back from JSON) in one
     * transaction. When {@code name} is this installation's owner and the owner has nothing of their own yet (see
     * {@link #emptyOwnerCalled}), the rows become the owner's instead: the owner keeps their id, password and API keys.
     * Any other taken name is refused with {@link NameTakenException}. Adapter files are named by the caller:
     * {@code fileFor} maps an exported version row to the file it will have here (relative to the data folder), or null
     * when the bundle does not carry that version's file.
     */
    public static Imported importUser(Database db, String name, Map<String, List<Map<String, Object>>> rows,
            java.util.function.BiFunction<Long, Map<String, Object>, String> fileFor) {
        Accounts.requireValidName(name);
        return db.inTransaction(c -> {
            java.util.Optional<Long> emptyOwner = emptyOwnerCalled(c, name);
            if (emptyOwner.isEmpty()) {
                try (var exists = c.prepareStatement("SELECT role FROM users WHERE name = ? COLLATE NOCASE")) {
                    exists.setString(1, name);
                    try (var rs = exists.executeQuery()) {
                        if (rs.next()) {
                            throw new NameTakenException(name, "owner".equals(rs.getString(1))
                                    ? " (this installation's owner) and already has conversations, memories or an adapter of their own" : "");
                        }
                    }
                }
                Accounts.refuseLookAlike(c, name, -1);
            }
            long userId;
            if (emptyOwner.isPresent()) {
                userId = emptyOwner.get();
            } else {
                try (var insert = c.prepareStatement("INSERT INTO users (name, created_at, role) VALUES (?, ?, 'member')", Statement.RETURN_GENERATED_KEYS)) {
                    insert.setString(1, name);
                    insert.setLong(2, db.clock().millis());
                    insert.executeUpdate();
                    try (var keys = insert.getGeneratedKeys()) {
                        keys.next();
                        userId = keys.getLong(1);
                    }
                }
            }
            Map<String, Map<Long, Long>> ids = new HashMap<>();
            for (String t : TABLES.keySet()) ids.put(t, new HashMap<>());
            Map<String, Integer> counts = new LinkedHashMap<>();
            List<long[]> supersededLater = new ArrayList<>();
            List<long[]> parentsLater = new ArrayList<>();
            for (var e : TABLES.entrySet()) {
                String table = e.getKey();
                List<Map<String, Object>> list = rows.getOrDefault(table, List.of());
                int n = 0;
                for (Map<String, Object> row : list) {
                    Map<String, Object> v = new LinkedHashMap<>();
                    for (String col : e.getValue()) {
                        if (!col.equals("id")) v.put(col, row.get(col));
                    }
                    switch (table) {
                        case "messages" -> v.put("conversation_id", mapped(ids, "conversations", row.get("conversation_id"), true));
                        case "memories" -> {
                            v.put("source_message_id", mapped(ids, "messages", row.get("source_message_id"), false));
                            v.put("superseded_by", null);
                        }
                        case "feedback" -> v.put("message_id", mapped(ids, "messages", row.get("message_id"), true));
                        case "training_examples" -> v.put("source_message_id", mapped(ids, "messages", row.get("source_message_id"), false));
                        case "user_settings" -> {
                            // the conversation collecting API chats is named by its id, which is the exporting installation's
                            if (API_CONVERSATION_SETTING.equals(row.get("name"))) {
                                Long conversation = mapped(ids, "conversations", row.get("value"), false);
                                if (conversation == null) continue;
                                v.put("value", conversation.toString());
                            }
                        }
                        case "adapter_versions" -> {
                            v.put("parent_id", null);
                            v.put("file", fileFor.apply(userId, row));
                            if (v.get("file") == null) v.put("serving", 0L);
                            Object until = row.get("data_until_message_id");
                            Long mappedUntil = mapped(ids, "messages", until, false);
                            // the watermark of trained data: the newest imported message at or below it
                            v.put("data_until_message_id", mappedUntil != null ? mappedUntil : newestBelow(ids.get("messages"), until));
                        }
                        default -> { }
                    }
                    List<String> cols = new ArrayList<>(v.keySet());
                    cols.add("user_id");
                    if (table.equals("messages")) cols.remove("user_id");
                    // the owner may already have settings of their own; the bundle's, being the person's, win
                    String insertVerb = table.equals("user_settings") ? "INSERT OR REPLACE INTO " : "INSERT INTO ";
                    StringBuilder sql = new StringBuilder(insertVerb).append(table).append(" (").append(String.join(", ", cols))
                            .append(") VALUES (").append("?, ".repeat(cols.size() - 1)).append("?)");
                    try (PreparedStatement insert = c.prepareStatement(sql.toString(), Statement.RETURN_GENERATED_KEYS)) {
                        int i = 1;
                        for (String col : cols) {
                            Object value = col.equals("user_id") ? (Object) userId : v.get(col);
                            insert.setObject(i++, value);
                        }
                        insert.executeUpdate();
                        if (e.getValue().contains("id")) {
                            try (var keys = insert.getGeneratedKeys()) {
                                keys.next();
                                long newId = keys.getLong(1);
                                ids.get(table).put(asLong(row.get("id")), newId);
                                if (table.equals("messages") && MessageIndex.indexable(Role.fromWire((String) v.get("role")),
                                        MessageStatus.fromWire((String) v.get("status")))) {
                                    MessageIndex.put(c, newId, (String) v.get("content"));
                                }
                                if (table.equals("memories") && row.get("superseded_by") != null) {
                                    supersededLater.add(new long[] {newId, asLong(row.get("superseded_by"))});
                                }
                                if (table.equals("adapter_versions") && row.get("parent_id") != null) {
                                    parentsLater.add(new long[] {newId, asLong(row.get("parent_id"))});
                                }
                            }
                        }
                    }
                    n++;
                }
                counts.put(table, n);
            }
            for (long[] s : supersededLater) {
                Long to = ids.get("memories").get(s[1]);
                if (to != null) update(c, "UPDATE memories SET superseded_by = ? WHERE id = ?", to, s[0]);
            }
            for (long[] p : parentsLater) {
                Long to = ids.get("adapter_versions").get(p[1]);
                if (to != null) update(c, "UPDATE adapter_versions SET parent_id = ? WHERE id = ?", to, p[0]);
            }
            return new Imported(userId, emptyOwner.isPresent(), counts, ids.get("adapter_versions"));
        });
    }

    private static Long mapped(Map<String, Map<Long, Long>> ids, String table, Object oldId, boolean required) {
        if (oldId == null) return null;
        Long id = ids.get(table).get(asLong(oldId));
        if (id == null && required) throw new IllegalArgumentException("the bundle refers to " + table + " id " + oldId + " that it does not contain");
        return id;
    }

    private static long newestBelow(Map<Long, Long> messageIds, Object until) {
        if (until == null) return 0;
        long u = asLong(until);
        return messageIds.entrySet().stream().filter(e -> e.getKey() <= u).mapToLong(Map.Entry::getValue).max().orElse(0);
    }

    static long asLong(Object o) {
        if (o instanceof Number n) return n.longValue();
        if (o instanceof String s) return Long.parseLong(s);
        throw new IllegalArgumentException("expected a number, got " + o);
    }

    private static void update(Connection c, String sql, long a, long b) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, a);
            s.setLong(2, b);
            s.executeUpdate();
        }
    }

    private static List<Map<String, Object>> rows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        List<Map<String, Object>> out = new ArrayList<>();
        while (rs.next()) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                Object v = rs.getObject(i);
                if (v instanceof Integer n) v = n.longValue();
                if (v instanceof Float f) v = f.doubleValue();
                row.put(md.getColumnLabel(i), v);
            }
            out.add(row);
        }
        return out;
    }
}
