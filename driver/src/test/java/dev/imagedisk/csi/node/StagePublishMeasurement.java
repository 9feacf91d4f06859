package dev.imagedisk.csi.node;

import static dev.imagedisk.csi.node.DeviceLab.sh;
import static dev.imagedisk.csi.node.NodePlugin.mount;
import static dev.imagedisk.csi.node.NodePlugin.publish;
import static dev.imagedisk.csi.node.NodePlugin.stage;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a unit test (its name keeps it out of the default run): times NodeStage+NodePublish of a 10 GiB disk
 * made from a 256 MiB ext4 image, against the same resize2fs, mount and bind done with util-linux by hand.
 * Run with {@code mvn -pl driver test -Dtest=StagePublishMeasurement -Dimagedisk.measure=true}.
 */
@Tag("measure")
class StagePublishMeasurement {
    private static final long MIB = 1024 * 1024;
    private static final int RUNS = 20;

    @TempDir
    Path dir;

    @Test
    void stageAndPublishVersusByHand() throws Exception {
        assumeTrue(Boolean.getBoolean("imagedisk.measure"), "a measurement; run with -Dimagedisk.measure=true");
        DeviceLab.assumeLoopDevices();
        try (DeviceLab lab = new DeviceLab(dir); NodePlugin plugin = new NodePlugin(lab)) {
            Path image = image(lab);
            List<Long> driver = new ArrayList<>();
            List<Long> byHand = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                // driver
                Path device = lab.attach(disk(lab, image, "d" + i), "disk-" + i);
                Path staging = lab.kubeletDir.resolve("plugins/x/pv-" + i + "/globalmount");
                Path target = lab.kubeletDir.resolve("pods/pod-" + i + "/mount");
                Files.createDirectories(target.getParent());
                long t0 = System.nanoTime();
                plugin.node().nodeStageVolume(stage("vol-" + i, "disk-" + i, staging, mount()));
                plugin.node().nodePublishVolume(publish("vol-" + i, "disk-" + i, staging, target, mount(), false));
                driver.add(System.nanoTime() - t0);
                assertTrue(Files.getFileStore(target).getTotalSpace() > 9000 * MIB);
                plugin.node().nodeUnpublishVolume(NodeUnpublishVolumeRequest.newBuilder().setVolumeId("vol-" + i)
                        .setTargetPath(target.toString()).build());
                plugin.node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder().setVolumeId("vol-" + i)
                        .setStagingTargetPath(staging.toString()).build());
                lab.detach(device);

                // by hand: resize2fs (offline: online needs CAP_SYS_RESOURCE), mount, bind
                Path dev2 = lab.attach(disk(lab, image, "h" + i), "hand-" + i);
                Path s2 = Files.createDirectories(lab.kubeletDir.resolve("hand/pv-" + i));
                Path t2 = Files.createDirectories(lab.kubeletDir.resolve("hand/pod-" + i));
                long t1 = System.nanoTime();
                sh("resize2fs", dev2.toString());
                sh("mount", dev2.toString(), s2.toString());
                sh("mount", "--bind", s2.toString(), t2.toString());
                byHand.add(System.nanoTime() - t1);
                assertTrue(Files.getFileStore(t2).getTotalSpace() > 9000 * MIB);
                sh("umount", t2.toString());
                sh("umount", s2.toString());
                lab.detach(dev2);
            }
            String report = String.format("NodeStage+NodePublish, 10 GiB disk from a 256 MiB ext4 image, p50 of %d: "
                    + "driver %.1f ms (min %.1f, max %.1f); by hand resize2fs+mount+bind %.1f ms (min %.1f, max %.1f)",
                    RUNS, p50(driver), min(driver), max(driver), p50(byHand), min(byHand), max(byHand));
            System.out.println(report);
            Files.writeString(Path.of("target/stage-publish-measurement.txt"), report + "\n");
        }
    }

    static Path image(DeviceLab lab) throws IOException {
        Path tree = Files.createDirectories(lab.files.resolve("tree"));
        Random random = new Random(7);
        for (int i = 0; i < 400; i++) {
            Path f = tree.resolve("dir" + (i % 20)).resolve("f" + i);
            Files.createDirectories(f.getParent());
            byte[] data = new byte[(i % 10 == 0) ? (int) MIB : 64 * 1024];
            random.nextBytes(data);
            Files.write(f, data);
        }
        Path image = lab.files.resolve("image.ext4");
        sh("mkfs.ext4", "-F", "-q", "-T", "default", "-d", tree.toString(), image.toString(), "256M");
        return image;
    }

    static Path disk(DeviceLab lab, Path image, String name) throws IOException {
        Path disk = lab.files.resolve(name + ".disk");
        sh("cp", "--sparse=always", image.toString(), disk.toString());
        sh("truncate", "-s", "10G", disk.toString());
        return disk;
    }

    static double p50(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int n = sorted.size();
        double mid = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
        return mid / 1e6;
    }

    static double min(List<Long> nanos) {
        return Collections.min(nanos) / 1e6;
    }

    static double max(List<Long> nanos) {
        return Collections.max(nanos) / 1e6;
    }
}
