package dev.imagedisk.csi.plugin.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory limit B4 and B2 pass as -XX:MaxRAM: the imagedisk container's, whatever its ports are named. */
class ManifestJvmTest {
    @Test
    void limitOfTheImagediskContainerPastItsNamedPorts() {
        List<String> lines = List.of(
                "      containers:",
                "        - name: imagedisk",
                "          env:",
                "            - name: JAVA_TOOL_OPTIONS",
                "              value: -Xmx48m",
                "          ports:",
                "            - name: healthz",
                "              containerPort: 9888",
                "          resources:",
                "            requests:",
                "              memory: 80Mi",
                "            limits:",
                "              memory: 128Mi",
                "        - name: node-driver-registrar",
                "          resources:",
                "            limits:",
                "              memory: 64Mi");
        assertEquals(128L << 20, ManifestJvm.memoryLimit(lines));
    }

    @Test
    void anotherContainerFirstIsSkipped() {
        List<String> lines = List.of(
                "        - name: sidecar",
                "          resources:",
                "            limits:",
                "              memory: 64Mi",
                "        - name: imagedisk",
                "          resources:",
                "            limits:",
                "              memory: 320Mi");
        assertEquals(320L << 20, ManifestJvm.memoryLimit(lines));
    }

    @Test
    void quantitiesInBinaryAndDecimalUnits() {
        assertEquals(128L << 20, ManifestJvm.quantity(" 128Mi "));
        assertEquals(2L << 30, ManifestJvm.quantity("2Gi"));
        assertEquals(1_500_000_000L, ManifestJvm.quantity("1.5G"));
        assertEquals(64_000L, ManifestJvm.quantity("64k"));
        assertEquals(1000L, ManifestJvm.quantity("1000"));
    }
}
