package dev.imagedisk.csi.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountInfoParserTest {
    @Test
    void parsesOptionalFieldsAndTheSeparator() {
        MountInfo m = MountInfoParser.parseLine(
                "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 shared:7 - ext3 /dev/root rw,errors=continue");
        assertEquals(36, m.id());
        assertEquals(35, m.parentId());
        assertEquals(98, m.major());
        assertEquals(0, m.minor());
        assertEquals("/mnt1", m.root());
        assertEquals(Path.of("/mnt2"), m.mountPoint());
        assertEquals(List.of("rw", "noatime"), m.mountOptions());
        assertEquals("ext3", m.fsType());
        assertEquals("/dev/root", m.source());
        assertEquals(List.of("rw", "errors=continue"), m.superOptions());
        assertFalse(m.readOnly());
    }

    @Test
    void parsesLinesWithoutOptionalFields() {
        MountInfo m = MountInfoParser.parseLine("43 27 0:39 / /tmp/mt/b ro,relatime - tmpfs none rw");
        assertTrue(m.readOnly(), "per-mount ro");
        assertEquals("tmpfs", m.fsType());
        assertEquals("0:39", m.device());
    }

    @Test
    void decodesOctalEscapesInPathsAndSources() {
        MountInfo m = MountInfoParser.parseLine("50 27 7:3 /a\\040dir /var/lib/kubelet/pods/x/vol\\040one\\011tab"
                + "\\134back\\012nl rw - ext4 /dev/disk\\040x rw");
        assertEquals("/a dir", m.root());
        assertEquals(Path.of("/var/lib/kubelet/pods/x/vol one\ttab\\back\nnl"), m.mountPoint());
        assertEquals("/dev/disk x", m.source());
    }

    @Test
    void decodesEscapedUtf8BytesAndKeepsRawUtf8() {
        assertEquals("/é x", MountInfoParser.unescape("/\\303\\251\\040x"));
        assertEquals("/é", MountInfoParser.unescape("/é"));
        assertEquals("\\x12", MountInfoParser.unescape("\\x12"), "not an octal escape: kept");
        assertEquals("a\\04", MountInfoParser.unescape("a\\04"), "a cut escape is kept");
    }

    @Test
    void parsesManyLinesAndRejectsGarbage() {
        List<MountInfo> all = MountInfoParser.parse("22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                + "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=1k\n\n");
        assertEquals(2, all.size());
        assertThrows(IllegalArgumentException.class, () -> MountInfoParser.parseLine("22 27 0:21 / /proc rw"));
        assertThrows(
                IllegalArgumentException.class, () -> MountInfoParser.parseLine("x 27 0:21 / /proc rw - proc proc rw"));
    }
}
