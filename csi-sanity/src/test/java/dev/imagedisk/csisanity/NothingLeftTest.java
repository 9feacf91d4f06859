package dev.imagedisk.csisanity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Runs last ({@link ClassOrderer.OrderAnnotation}, see junit-platform.properties): after all of the suite,
 * nothing of it is left — no volume it created, no mount under the kubelet dir, no loop device, no file.
 */
@Order(Integer.MAX_VALUE)
class NothingLeftTest extends SanityTest {
    @Test
    @DisplayName("every volume the suite created is deleted")
    void noVolumes() {
        List<String> listed = new ArrayList<>();
        if (csi.has(Type.LIST_VOLUMES)) {
            String token = "";
            do {
                ListVolumesResponse page = csi.controller()
                        .listVolumes(ListVolumesRequest.newBuilder()
                                .setStartingToken(token)
                                .build());
                page.getEntriesList().forEach(e -> listed.add(e.getVolume().getVolumeId()));
                token = page.getNextToken();
            } while (!token.isEmpty());
        }
        List<String> left = new ArrayList<>(
                csi.createdVolumeIds.stream().filter(listed::contains).sorted().toList());
        if (!csi.has(Type.LIST_VOLUMES) && csi.has(Type.GET_VOLUME)) {
            for (String id : csi.createdVolumeIds) {
                if (!left.contains(id)
                        && Codes.codeOf(() -> csi.controller()
                                        .controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                                .setVolumeId(id)
                                                .build()))
                                != Status.Code.NOT_FOUND) {
                    left.add(id);
                }
            }
        }
        assertEquals(
                List.of(), left, "volumes of the suite still exist (of " + csi.createdVolumeIds.size() + " created)");
        csi.local().ifPresent(l -> assertEquals(List.of(), listed, "the local stack still has volumes"));
    }

    @Test
    @DisplayName("nothing is mounted under the kubelet dir")
    void noMounts() {
        assertEquals(List.of(), Mounts.under(csi.kubeletDir), "mounts left under " + csi.kubeletDir);
        csi.local().ifPresent(l -> assertEquals(List.of(), l.mountsLeft(), "the local stack sees mounts left"));
    }

    @Test
    @DisplayName("no loop device is bound (local stack)")
    void noLoopDevices() {
        csi.emulator().ifPresent(emu -> assertEquals(Map.of(), emu.boundLoopDevices(), "loop devices still bound"));
    }

    @Test
    @DisplayName("no file or directory of the suite is left under the kubelet dir")
    void noFiles() throws IOException {
        List<Path> left = new ArrayList<>();
        try (Stream<Path> s = Files.walk(csi.kubeletDir)) {
            s.filter(p -> p.toString().contains("sanity-" + csi.runId) || Files.isRegularFile(p))
                    .filter(p -> !p.getFileName().toString().equals("sanity-" + csi.runId))
                    .forEach(left::add);
        }
        assertEquals(List.of(), left, "left under the kubelet dir");
        Path plugins = csi.kubeletDir.resolve("plugins/kubernetes.io/csi/sanity-" + csi.runId);
        Resources.deleteTree(plugins);
        assertTrue(!Files.exists(plugins));
    }
}
