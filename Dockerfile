# imagedisk-csi: one image for the controller and the node plugin.
#
# It takes what `mvn -B -ntp -DskipTests package` built (plugin-dist/target/plugin: the plugin jar and its
# runtime dependencies only), so the build needs no Maven image, and builds unchanged with docker build,
# podman build and buildah bud (no BuildKit-only syntax):
#   mvn -B -ntp -DskipTests package
#   docker build -t REGISTRY/imagedisk-csi:0.1.0 .
# BASE is any Debian bookworm root filesystem: the official image by default; `./imagedisk image` passes one
# made locally by mmdebstrap (machines without a registry).
ARG BASE=debian:bookworm-slim

# --- the Java runtime: jlink from Debian's JDK, only the modules the plugin uses -----------------------------
# (binutils: Debian's jlink strips the native libraries with objcopy)
# java.base; java.logging (gRPC, Netty, google-http-client log through it); java.naming (gRPC's and Netty's DNS,
# logback); java.sql (Jackson's, Gson's and threetenbp's date types); jdk.httpserver (the metrics endpoint);
# jdk.unsupported (sun.misc.Unsafe: Netty, protobuf); jdk.crypto.ec (the elliptic-curve key exchanges and
# signatures of TLS to compute.googleapis.com and oauth2.googleapis.com). Left out on purpose: java.desktop
# (java.beans, which Jackson probes for and does without), jdk.jfr and java.security.jgss (optional uses).
# --compress=2 halves lib/modules (30 -> 15 MB): the plugin's start maps its classes from the start-up archive
# (98% of them), so few classes are ever read, and inflated, from lib/modules. The trusted CAs are Debian's
# (ca-certificates-java, as Debian's JRE has them: Google Trust Services' roots included), not the JDK module's.
FROM ${BASE} AS runtime
# (slim bases leave out /usr/share/man, where the JDK's postinst links its man pages)
RUN mkdir -p /usr/share/man/man1 \
    && apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jdk-headless binutils \
    && /usr/lib/jvm/java-17-openjdk-amd64/bin/jlink \
       --add-modules java.base,java.logging,java.naming,java.sql,jdk.httpserver,jdk.unsupported,jdk.crypto.ec \
       --strip-debug --no-header-files --no-man-pages --compress=2 --output /opt/java \
    && test -s /etc/ssl/certs/java/cacerts \
    && cp /etc/ssl/certs/java/cacerts /opt/java/lib/security/cacerts \
    && /opt/java/bin/java --list-modules \
    && du -sh /opt/java

# --- the XFS tools: Debian's xfsprogs depends on python3 and ICU for xfs_scrub (~80 MB the plugin never runs) --
FROM ${BASE} AS xfs
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends xfsprogs

# --- udevadm alone: the udev package also brings its ~30 MB hardware database, which the node never reads -------
FROM ${BASE} AS udev
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends udev

# --- the image without its start-up archives ----------------------------------------------------------------
FROM ${BASE} AS plugin
# The node plugin formats, checks, grows and mounts filesystems: e2fsprogs (mkfs.ext4, e2fsck, resize2fs,
# dumpe2fs), util-linux (blkid, blockdev, fsck, mkfs, partx), fdisk (sfdisk: partitioned images' tables),
# mount (mount, umount), and from xfsprogs mkfs.xfs, xfs_repair and xfs_growfs with the libraries they link
# (libinih1, liburcu8; libblkid1 and libuuid1 come with util-linux).
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       e2fsprogs util-linux fdisk mount libinih1 liburcu8 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/lib/dpkg/*-old /var/log/*
COPY --from=xfs /usr/sbin/mkfs.xfs /usr/sbin/xfs_repair /usr/sbin/fsck.xfs /usr/sbin/xfs_growfs /usr/sbin/
# udevadm, which the node runs (bounded) when a disk's /dev/disk/by-id link is missing, before it scans the devices by
# identity; with the two libraries it links that the base lacks (libkmod, libcrypto; amd64 paths)
COPY --from=udev /bin/udevadm /usr/bin/udevadm
COPY --from=udev /lib/x86_64-linux-gnu/libkmod.so.2 /lib/x86_64-linux-gnu/libcrypto.so.3 /lib/x86_64-linux-gnu/
COPY --from=runtime /opt/java /opt/java
# The dependencies first: they change less often than the plugin jar.
COPY plugin-dist/target/plugin/lib/ /opt/imagedisk/lib/
COPY plugin-dist/target/plugin/imagedisk-csi.jar /opt/imagedisk/imagedisk-csi.jar
ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# --- the start-up archives, made by the image's own runtime and jars -----------------------------------------
# One per mode, made as `./imagedisk archive --mode MODE --manifest FILE --out FILE` makes it: a training run of
# the plugin in that mode with that manifest's JAVA_TOOL_OPTIONS (it starts, answers the sidecars' first calls
# over its socket, and exits) records the classes serving needs; a static AppCDS archive of exactly those (JDK
# classes included) replaces the JDK's default archive. The controller's is a dynamic archive on top of the
# node's (the classes the node's lacks: 14 MiB instead of 47; its JVM maps both). Each manifest maps its mode's archive
# (-XX:SharedArchiveFile=/opt/imagedisk/MODE.jsa); a JVM that cannot use it says so and starts without it.
# This stage is the final image plus the manifests, so the archives are made against the very files they serve.
FROM plugin AS archives
COPY manifests/node.yaml manifests/controller.yaml /tmp/manifests/
RUN java -cp /opt/imagedisk/imagedisk-csi.jar dev.imagedisk.csi.plugin.archive.ArchiveCommand \
       --mode node --manifest /tmp/manifests/node.yaml --out /opt/imagedisk/node.jsa \
    && java -cp /opt/imagedisk/imagedisk-csi.jar dev.imagedisk.csi.plugin.archive.ArchiveCommand \
       --mode controller --manifest /tmp/manifests/controller.yaml --base /opt/imagedisk/node.jsa \
       --out /opt/imagedisk/controller.jsa \
    && chmod 0644 /opt/imagedisk/*.jsa \
    && echo "imagedisk image: what each part costs (uncompressed):" \
    && du -sh /opt/java /opt/imagedisk/lib /opt/imagedisk/imagedisk-csi.jar /opt/imagedisk/node.jsa \
       /opt/imagedisk/controller.jsa \
    && echo "imagedisk image: the whole file system:" \
    && du -shx --exclude=/tmp/manifests /

# --- the image ---------------------------------------------------------------------------------------------
FROM plugin
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="imagedisk-csi" \
      org.opencontainers.image.description="CSI driver: one ReadWriteOnce disk per pod, created from a Compute Engine disk image" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=archives /opt/imagedisk/node.jsa /opt/imagedisk/controller.jsa /opt/imagedisk/
# Small-footprint defaults; the manifests set their own per container (JAVA_TOOL_OPTIONS, archive included).
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=35 -Xss256k -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=24m -XX:MaxMetaspaceSize=96m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError"
# Non-root by default (the controller); the node DaemonSet runs this image privileged as root.
USER 65532:65532
# The manifests pass the plugin's flags as container args (--mode=node|controller, --endpoint=..., ...).
ENTRYPOINT ["/opt/java/bin/java", "-jar", "/opt/imagedisk/imagedisk-csi.jar"]
