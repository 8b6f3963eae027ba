package dev.lifelong.assistant.cli;

import dev.lifelong.memory.Database;
import dev.lifelong.memory.Users;
import java.util.List;

/** Resolves {@code --user NAME}; it may be left out when the installation has one user. */
final class UserOption {
    private UserOption() {
    }

    static Users.User resolve(Database db, String name) {
        List<Users.User> users = Users.list(db);
        if (name == null) {
            if (users.size() == 1) return users.getFirst();
            throw new UserFacingException("this installation has " + users.size() + " users; say which with --user NAME ("
                    + String.join(", ", users.stream().map(Users.User::name).toList()) + ")");
        }
        return users.stream().filter(u -> u.name().equals(name)).findFirst().orElseThrow(() -> new UserFacingException(
                "no user called '" + name + "'; users: " + String.join(", ", users.stream().map(Users.User::name).toList())));
    }
}
