# syntax=docker/dockerfile:1
# imagedisk-csi: one image for the controller and the node plugin.
#   docker build -t REGISTRY/imagedisk-csi:0.1.0 --build-arg VERSION=0.1.0 .
# The manifests pass the plugin's flags as container args; the entrypoint below supplies
# `java -jar /opt/imagedisk/imagedisk.jar plugin`.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The Maven cache survives between builds (BuildKit); tests run in CI, not here.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -ntp -DskipTests package -pl launcher -am

FROM eclipse-temurin:17-jre
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="imagedisk-csi" \
      org.opencontainers.image.description="CSI driver: one ReadWriteOnce disk per pod, created from a Compute Engine disk image" \
      org.opencontainers.image.version="${VERSION}"

# The node plugin formats, checks, grows and mounts filesystems and waits for devices:
# e2fsprogs (mkfs.ext4, e2fsck, resize2fs), xfsprogs (mkfs.xfs, xfs_growfs), util-linux (blkid, lsblk,
# findmnt, partx), fdisk (sfdisk: partitioned images' tables), mount (mount, umount), udev (udevadm).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       e2fsprogs xfsprogs util-linux fdisk mount udev \
    && rm -rf /var/lib/apt/lists/*

# The launcher jar finds its dependencies through its manifest's Class-Path (lib/...).
COPY --from=build /src/launcher/target/imagedisk.jar /opt/imagedisk/imagedisk.jar
COPY --from=build /src/launcher/target/lib/ /opt/imagedisk/lib/

# Small-footprint defaults; the manifests set their own per container (JAVA_TOOL_OPTIONS).
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=35 -Xss256k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:MaxMetaspaceSize=96m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError"

# Start-up archives, one per mode, made by the same code as `./imagedisk archive --mode MODE --out FILE`: a
# training run of the plugin in that mode with that manifest's JAVA_TOOL_OPTIONS (it starts, answers the
# sidecars' first calls, made by the archive command over its socket, and exits) records the classes serving
# needs; every start then maps them instead of loading them (docs/performance.md, B4). A JDK 17 runtime writes one static AppCDS archive of those
# classes (JDK classes included), mapped with -XX:SharedArchiveFile= in place of the JDK's default archive;
# JDK 25 and later an AOT cache, mapped with -XX:AOTCache=. Each manifest maps its mode's
# archive; a JVM that cannot use it says so and starts without it.
COPY --from=build /src/manifests/node.yaml /src/manifests/controller.yaml /tmp/manifests/
RUN java -jar /opt/imagedisk/imagedisk.jar archive --mode node --manifest /tmp/manifests/node.yaml \
       --out /opt/imagedisk/node.jsa \
    && java -jar /opt/imagedisk/imagedisk.jar archive --mode controller --manifest /tmp/manifests/controller.yaml \
       --out /opt/imagedisk/controller.jsa \
    && rm -rf /tmp/manifests

# Non-root by default (the controller); the node DaemonSet runs this image privileged as root.
USER 65532:65532
ENTRYPOINT ["java", "-jar", "/opt/imagedisk/imagedisk.jar", "plugin"]
