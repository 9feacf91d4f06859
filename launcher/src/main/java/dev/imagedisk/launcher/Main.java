package dev.imagedisk.launcher;

import dev.imagedisk.csi.plugin.PluginCommand;
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
            dev.imagedisk.csi.plugin.archive.ArchiveCommand.class,
            dev.imagedisk.csi.plugin.DoctorCommand.class,
            dev.imagedisk.bench.BenchCommand.class
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
            // the containers' entrypoint: only the plugin's command model, not every tool's (start-up time)
            PluginCommand.main(args);
        }
        System.exit(commandLine().execute(args));
    }
}
