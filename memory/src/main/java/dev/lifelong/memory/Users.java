package dev.lifelong.memory;

/** Users of this installation. V1 creates the owner; more users are for later issues. */
public final class Users {
    /** The user who installed Lifelong; created by migration V1. */
    public static final long OWNER_ID = 1;

    private Users() {
    }

    /** Adds a user and returns its id. */
    public static long create(Database database, String name) {
        Database.requireText(name, "name");
        return database.inTransaction(connection -> {
            try (var insert = connection.prepareStatement(
                    "INSERT INTO users (name, created_at) VALUES (?, ?)", java.sql.Statement.RETURN_GENERATED_KEYS)) {
                insert.setString(1, name);
                insert.setLong(2, database.clock().millis());
                insert.executeUpdate();
                try (var keys = insert.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    /** A user: id and name. */
    public record User(long id, String name) {
    }

    /** Every user, by id. */
    public static java.util.List<User> list(Database database) {
        return database.read(connection -> {
            try (var q = connection.prepareStatement("SELECT id, name FROM users ORDER BY id"); var rs = q.executeQuery()) {
                java.util.List<User> out = new java.util.ArrayList<>();
                while (rs.next()) out.add(new User(rs.getLong(1), rs.getString(2)));
                return out;
            }
        });
    }

    /** The user called {@code name}, if any. */
    public static java.util.Optional<User> find(Database database, String name) {
        return list(database).stream().filter(u -> u.name().equals(name)).findFirst();
    }
}
