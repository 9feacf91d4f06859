package dev.imagedisk.csi.plugin;

import picocli.CommandLine.Option;

/** Where the plugin is in Compute Engine; flags win, the metadata server fills what is missing. */
public final class CloudOptions {
    @Option(
            names = "--project",
            paramLabel = "PROJECT",
            description = "Compute Engine project. Default: from the metadata server.")
    public String project;

    @Option(
            names = "--zone",
            paramLabel = "ZONE",
            description = "Zone of this node, and the controller's default zone. Default: from the metadata server.")
    public String zone;

    @Option(
            names = "--metadata-endpoint",
            paramLabel = "URL",
            defaultValue = "http://metadata.google.internal",
            description = "Base URL of the Compute Engine metadata server (default: ${DEFAULT-VALUE}).")
    public String metadataEndpoint = "http://metadata.google.internal";
}
