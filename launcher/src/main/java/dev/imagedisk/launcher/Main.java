package dev.imagedisk.launcher;

import dev.imagedisk.csi.PluginCommand;
import dev.imagedisk.csi.log.LineLoggerProvider;
import dev.imagedisk.gce.emulator.EmulatorCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code imagedisk}: the one entry point for the plugin and the local tools around it. */
@Command(
        name = "imagedisk",
        mixinStandardHelpOptions = true,
        versionProvider = PluginCommand.VersionProvider.class,
        description = "imagedisk-csi: per-pod disks created from a Compute Engine disk image.",
        subcommands = {
            PluginCommand.class,
            EmulatorCommand.class,
            ServeCommand.class,
            DemoCommand.class,
            dev.imagedisk.launcher.archive.ArchiveCommand.class,
            dev.imagedisk.launcher.bench.BenchCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand");
    }

    public static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("plugin")) {
            if (nodeMode(args)) {
                // the node plugin on every node logs through a small binding of its own, not logback (B4)
                LineLoggerProvider.select();
            }
            // the containers' entrypoint: build only the plugin's command model, not every tool's (start-up time)
            System.exit(new CommandLine(new PluginCommand())
                    .setCommandName("imagedisk plugin")
                    .setCaseInsensitiveEnumValuesAllowed(true)
                    .execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        System.exit(commandLine().execute(args));
    }

    /** Whether these plugin arguments ask for {@code --mode node} (read before picocli, which logs). */
    static boolean nodeMode(String[] args) {
        for (int i = 1; i < args.length; i++) {
            if (args[i].equalsIgnoreCase("--mode=node")
                    || args[i].equals("--mode") && i + 1 < args.length && args[i + 1].equalsIgnoreCase("node")) {
                return true;
            }
        }
        return false;
    }
}
