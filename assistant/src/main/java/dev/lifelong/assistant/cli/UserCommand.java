package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.auth.AccountService;
import dev.lifelong.assistant.auth.PasswordHasher;
import dev.lifelong.memory.Accounts;
import dev.lifelong.memory.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.Callable;

/**
 * {@code ./lifelong user …}: accounts from the command line. Whoever can run this on the data folder is treated as the
 * owner (they could read the database anyway).
 */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Add, list and remove users; set passwords; make API keys.",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Remove.class, UserCommand.Password.class, UserCommand.Key.class})
public final class UserCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(System.out); }

    static AccountService open(Database db, CommonOptions common) {
        return new AccountService(db, common.dataDir(), Clock.systemUTC());
    }

    static Accounts.Account named(Database db, String name) {
        return db.accounts().findByName(name).orElseThrow(() -> new UserFacingException("no user called '" + name + "'"));
    }

    static Database database(CommonOptions common) {
        return Database.open(common.dataDir().resolve("lifelong.db"));
    }

    /** Reads a password: twice from the console, or one line from standard input with --password-stdin. */
    static String readPassword(boolean fromStdin) {
        String password;
        if (fromStdin) {
            try {
                password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            } catch (IOException e) {
                throw new UserFacingException("cannot read the password from standard input: " + e.getMessage());
            }
            if (password == null) throw new UserFacingException("no password on standard input");
        } else {
            Console console = System.console();
            if (console == null) throw new UserFacingException("no terminal to ask for a password; pipe it in with --password-stdin");
            char[] a = console.readPassword("New password (8+ characters): ");
            char[] b = console.readPassword("Again: ");
            if (a == null || b == null || !new String(a).equals(new String(b))) throw new UserFacingException("the two passwords differ");
            password = new String(a);
        }
        try {
            PasswordHasher.requireAcceptable(password);
        } catch (IllegalArgumentException e) {
            throw new UserFacingException(e.getMessage());
        }
        return password;
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a user; prints their first API key as the last line.")
    static final class Add implements Callable<Integer> {
        @Mixin CommonOptions common = new CommonOptions();
        @Parameters(paramLabel = "NAME", description = "1 to 40 letters, digits, '.', '_' or '-'.") String name;
        @Option(names = "--password", description = "Ask for a password (or read it from stdin with --password-stdin).") boolean password;
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.") boolean passwordStdin;

        @Override
        public Integer call() {
            try (Database db = database(common)) {
                String pw = password || passwordStdin ? readPassword(passwordStdin) : null;
                AccountService.NewUser created;
                try {
                    created = open(db, common).addUser(name, pw);
                } catch (IllegalArgumentException e) {
                    throw new UserFacingException(e.getMessage());
                }
                System.out.println("added " + created.account().name() + (pw == null ? " (no password: they sign in with the key, then set one)" : ""));
                System.out.println(created.apiKey());
                return 0;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the users.")
    static final class ListUsers implements Callable<Integer> {
        @Mixin CommonOptions common = new CommonOptions();

        @Override
        public Integer call() {
            try (Database db = database(common)) {
                Accounts accounts = db.accounts();
                for (Accounts.Account a : accounts.list()) {
                    long keys = accounts.keys(a.id()).stream().filter(Accounts.ApiKey::active).count();
                    System.out.printf("%-4d %-20s %-7s %-12s %d key(s)%n", a.id(), a.name(), a.role().name().toLowerCase(),
                            a.hasPassword() ? "password" : "no password", keys);
                }
                return 0;
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a user with all their conversations, memories, adapters and keys.")
    static final class Remove implements Callable<Integer> {
        @Mixin CommonOptions common = new CommonOptions();
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--yes", description = "Do not ask for confirmation.") boolean yes;

        @Override
        public Integer call() {
            try (Database db = database(common)) {
                Accounts.Account a = named(db, name);
                if (a.isOwner()) throw new UserFacingException("the owner cannot be removed");
                if (!yes) {
                    Console console = System.console();
                    if (console == null) throw new UserFacingException("add --yes to remove " + name + " and all their data");
                    String answer = console.readLine("Remove %s and all their data? Type the name to confirm: ", name);
                    if (answer == null || !answer.strip().equals(a.name())) throw new UserFacingException("not removed");
                }
                open(db, common).removeUser(a.id());
                System.out.println("removed " + a.name());
                return 0;
            }
        }
    }

    @Command(name = "password", mixinStandardHelpOptions = true, description = "Set a user's password (also the owner's).")
    static final class Password implements Callable<Integer> {
        @Mixin CommonOptions common = new CommonOptions();
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.") boolean passwordStdin;

        @Override
        public Integer call() {
            try (Database db = database(common)) {
                Accounts.Account a = named(db, name);
                open(db, common).setPassword(a.id(), readPassword(passwordStdin));
                System.out.println("password of " + a.name() + " set; their other sessions were signed out");
                return 0;
            }
        }
    }

    @Command(name = "key", mixinStandardHelpOptions = true, description = "Make a new API key for a user; prints it as the last line.")
    static final class Key implements Callable<Integer> {
        @Mixin CommonOptions common = new CommonOptions();
        @Parameters(paramLabel = "NAME") String name;
        @Option(names = "--label", description = "What the key is for.") String label;
        @Option(names = "--no-memory", description = "Chats through this key neither use nor feed the memory.") boolean noMemory;

        @Override
        public Integer call() {
            try (Database db = database(common)) {
                Accounts.Account a = named(db, name);
                var key = db.accounts().createApiKey(a.id(), label, !noMemory);
                System.out.println("new key " + key.key().prefix() + "… for " + a.name() + (noMemory ? " (memory off)" : ""));
                System.out.println(key.secret());
                return 0;
            }
        }
    }
}
