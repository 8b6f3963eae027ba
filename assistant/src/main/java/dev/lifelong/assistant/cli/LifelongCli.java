package dev.lifelong.assistant.cli;

import dev.lifelong.assistant.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** {@code ./lifelong [serve|doctor|models] ...}; with no subcommand it serves. */
@Command(name = "lifelong", mixinStandardHelpOptions = true, version = "Lifelong 0.1.0",
        description = "A personal AI assistant that lives on your computer and grows with you.",
        subcommands = {ServeCommand.class, DoctorCommand.class, ModelsCommand.class, TrainCommand.class, UpdateCommand.class, AdaptersCommand.class, UserCommand.class, BackupCommand.class, RestoreCommand.class, ExportCommand.class, ImportCommand.class, SeedlingCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class LifelongCli implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(withDefaultCommand(args)));
    }

    /** No subcommand means {@code serve}: {@code ./lifelong --port 9000} serves on 9000. */
    static String[] withDefaultCommand(String[] args) {
        boolean topLevelFlag = args.length > 0 && java.util.List.of("-h", "--help", "-V", "--version").contains(args[0]);
        if (args.length == 0 || (args[0].startsWith("-") && !topLevelFlag)) {
            String[] out = new String[args.length + 1];
            out[0] = "serve";
            System.arraycopy(args, 0, out, 1, args.length);
            return out;
        }
        return args;
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LifelongCli());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof ConfigException || ex instanceof UserFacingException
                    || ex.getClass().getName().startsWith("dev.lifelong.")) {
                err.println(cmd.getColorScheme().errorText("error: " + ex.getMessage()));
                return 2;
            }
            err.println(cmd.getColorScheme().errorText("error: " + ex));
            ex.printStackTrace(err);
            return 1;
        });
        return cl;
    }
}
