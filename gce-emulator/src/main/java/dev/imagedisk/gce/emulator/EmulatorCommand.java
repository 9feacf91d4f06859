package dev.imagedisk.gce.emulator;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code emulator}: serves the Compute Engine emulator on 127.0.0.1 until SIGTERM or SIGINT, then
 * detaches its loop devices, removes its links and exits 0. Prints the base URL on the first line, once every
 * {@code --image} and {@code --instance} is in place; until then every request is answered 503.
 */
@Command(
        name = "emulator",
        mixinStandardHelpOptions = true,
        description = "Serve a Compute Engine v1 REST emulator (with a metadata server) on 127.0.0.1.")
public final class EmulatorCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", description = "TCP port on 127.0.0.1 (0: any free port).", defaultValue = "0")
    int port;

    @Option(
            names = "--data-dir",
            description = "Images, disk files and state.json; kept across"
                    + " restarts. Default: a temp dir deleted at exit.")
    Path dataDir;

    @Option(
            names = "--device-dir",
            description = "Where google-<deviceName> links go." + " Default: <data-dir>/dev/disk/by-id.")
    Path deviceDir;

    @Option(
            names = "--operation-duration",
            defaultValue = "0",
            description = "How long operations take, e.g. 200ms, 2s (default ${DEFAULT-VALUE}).")
    String operationDuration;

    @Option(
            names = "--wait-timeout",
            defaultValue = "2m",
            description = "Longest operations.wait block (default ${DEFAULT-VALUE}).")
    String waitTimeout;

    @Option(names = "--no-storage", description = "Records only: no files, loop devices or links.")
    boolean noStorage;

    @Option(
            names = "--project",
            defaultValue = "imagedisk-test",
            description = "Project of --image and --instance (default ${DEFAULT-VALUE}).")
    String project;

    @Option(
            names = "--image",
            paramLabel = "NAME=FILE[:FAMILY]",
            description = "Register an image from a filesystem file (repeatable).")
    List<String> images = new ArrayList<>();

    @Option(
            names = "--instance",
            paramLabel = "ZONE/NAME[:MACHINE_TYPE][=DEVICE_DIR]",
            description = "Add a running instance (repeatable; instances may be in several zones); machine type"
                    + " default e2-standard-4; DEVICE_DIR: where its google-<deviceName> links go (default:"
                    + " --device-dir).")
    List<String> instances = new ArrayList<>();

    @Option(
            names = "--metadata-instance",
            paramLabel = "ZONE/NAME",
            description = "The instance the metadata server describes (default: the first --instance).")
    String metadataInstance;

    /** Set by tests to stop the command without a signal. */
    final CountDownLatch stop = new CountDownLatch(1);

    /** Set by tests: runs with the base URL once the emulator listens, before the images and instances are added. */
    Consumer<String> whileSettingUp = url -> {};

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec == null
                ? new PrintWriter(System.out, true)
                : spec.commandLine().getOut();
        Duration opDuration = Durations.parse(operationDuration);
        Duration wait = Durations.parse(waitTimeout);
        List<String[]> parsedImages = new ArrayList<>();
        for (String spec : images) {
            int eq = spec.indexOf('=');
            if (eq <= 0) {
                throw new CommandLine.ParameterException(
                        this.spec.commandLine(), "--image needs NAME=FILE[:FAMILY]: " + spec);
            }
            String name = spec.substring(0, eq);
            String rest = spec.substring(eq + 1);
            String family = null;
            int colon = rest.lastIndexOf(':');
            if (colon > 0) {
                family = rest.substring(colon + 1);
                rest = rest.substring(0, colon);
            }
            parsedImages.add(new String[] {name, rest, family});
        }
        List<String[]> parsedInstances = new ArrayList<>();
        for (String spec : instances) {
            parsedInstances.add(parseInstance(spec));
        }
        String[] meta = metadataInstance != null
                ? parseInstance(metadataInstance)
                : parsedInstances.isEmpty() ? null : parsedInstances.get(0);

        GceEmulator.Builder b = GceEmulator.builder()
                .port(port)
                .storage(!noStorage)
                .operationDuration(opDuration)
                .waitTimeout(wait)
                .notReadyUntilSetUp();
        if (dataDir != null) {
            b.dataDir(dataDir);
        }
        if (deviceDir != null) {
            b.deviceDir(deviceDir);
        }
        CountDownLatch latch = stop;
        sun.misc.SignalHandler oldTerm = Signal.handle(new Signal("TERM"), s -> latch.countDown());
        sun.misc.SignalHandler oldInt = Signal.handle(new Signal("INT"), s -> latch.countDown());
        try (GceEmulator emu = b.start()) {
            whileSettingUp.accept(emu.baseUrl());
            for (String[] img : parsedImages) {
                try {
                    emu.registerImage(project, img[0], img[2], Path.of(img[1]));
                } catch (GceException e) {
                    if (!e.reason().equals("alreadyExists")) { // known from the data dir's state
                        throw e;
                    }
                }
            }
            for (String[] inst : parsedInstances) {
                try {
                    emu.addInstance(project, inst[0], inst[1], inst[2], inst[3] == null ? null : Path.of(inst[3]));
                } catch (GceException e) {
                    if (!e.reason().equals("alreadyExists")) {
                        throw e;
                    }
                }
            }
            if (meta != null) {
                emu.setMetadataInstance(project, meta[0], meta[1]);
            }
            emu.ready();
            out.println(emu.baseUrl());
            out.flush();
            latch.await();
        } finally {
            Signal.handle(new Signal("TERM"), oldTerm);
            Signal.handle(new Signal("INT"), oldInt);
        }
        return 0;
    }

    private String[] parseInstance(String spec) {
        String dir = null;
        int eq = spec.indexOf('=');
        if (eq >= 0) {
            dir = spec.substring(eq + 1);
            spec = spec.substring(0, eq);
            if (dir.isEmpty()) {
                throw new CommandLine.ParameterException(
                        this.spec.commandLine(), "an instance's DEVICE_DIR after '=' is empty: " + spec);
            }
        }
        int slash = spec.indexOf('/');
        if (slash <= 0 || slash == spec.length() - 1) {
            throw new CommandLine.ParameterException(
                    this.spec.commandLine(), "an instance is ZONE/NAME[:MACHINE_TYPE][=DEVICE_DIR]: " + spec);
        }
        String zone = spec.substring(0, slash);
        String name = spec.substring(slash + 1);
        String type = "e2-standard-4";
        int colon = name.indexOf(':');
        if (colon > 0) {
            type = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        return new String[] {zone, name, type, dir};
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmulatorCommand()).execute(args));
    }
}
