package dev.imagedisk.launcher;

import dev.imagedisk.csi.log.LoggingSetup;
import dev.imagedisk.csi.plugin.StopSignal;
import dev.imagedisk.stack.LocalStack;
import dev.imagedisk.stack.RootCheck;
import dev.imagedisk.stack.SampleImage;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code imagedisk serve}: the emulator plus the plugin (Controller and Node) on one socket, until SIGTERM. */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = "Run the all-in-one local stack: a Compute Engine emulator with real storage and the CSI"
                + " plugin (Controller + Node) on one socket, until SIGTERM/SIGINT.")
public final class ServeCommand implements Callable<Integer> {
    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = ".imagedisk/serve",
            description = "Emulator state, images and disk files (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--log-level", defaultValue = "info", description = "Log level (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Mixin
    StackOptions stack = new StackOptions();

    @Override
    public Integer call() throws Exception {
        LoggingSetup.configure(LoggingSetup.Format.text, logLevel);
        String why = RootCheck.whyNot();
        if (why != null) {
            System.err.println("imagedisk serve: " + why);
            return 1;
        }
        StopSignal stop = StopSignal.install();
        try (LocalStack local = LocalStack.start(stack.toOptions(dataDir, true, true))) {
            System.out.println("imagedisk serve: ready");
            System.out.println("  CSI endpoint:      unix://" + local.socket());
            System.out.println("  node id:           " + local.nodeId());
            System.out.println("  compute endpoint:  " + local.emulator().baseUrl());
            if (local.plugin().metricsPort() > 0) {
                System.out.println("  metrics:           http://127.0.0.1:"
                        + local.plugin().metricsPort() + "/metrics");
            }
            System.out.println("  StorageClass parameters:");
            System.out.println("    image: " + local.imageParameter());
            System.out.println("    type: pd-balanced");
            System.out.println("  (a volume whose parameters name no image gets " + local.imageParameter() + ")");
            System.out.println("  partitioned sample images (partition: auto picks the runtime's partition): "
                    + local.imageParameter(SampleImage.Layout.GPT) + " (a boot disk's GPT layout), "
                    + local.imageParameter(SampleImage.Layout.MBR) + " (MBR)");
            System.out.println("  (stop with Ctrl-C or SIGTERM; mounts, loop devices and links are removed)");
            System.out.flush();
            stop.await();
            System.out.println("imagedisk serve: stopping");
        }
        return 0;
    }
}
