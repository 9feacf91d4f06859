package dev.imagedisk.csi.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed system calls against the real kernel: statvfs as any user; BLKGETSIZE64 and BLKPG on a loop
 * device this test attaches (with partition scanning) over a sparse file, as root only, detached at the end.
 */
@Tag("integration")
class LinuxSystemTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    private static LinuxSystem sys() {
        LinuxSystem s = LinuxSystem.get();
        assumeTrue(s != null, "libc cannot be bound here (not 64-bit Linux, or no jffi native library)");
        return s;
    }

    @Test
    void statvfsAgreesWithCoreutilsStat() throws Exception {
        StatVfs s = sys().statvfs(dir);
        String[] f = run("stat", "--file-system", "--format=%S %b %c", "--", dir.toString())
                .trim()
                .split("\\s+");
        assertEquals(Long.parseLong(f[0]), s.fragmentSize());
        assertEquals(Long.parseLong(f[1]), s.blocks());
        assertEquals(Long.parseLong(f[2]), s.files());
        assertTrue(s.freeBytes() >= s.availableBytes() && s.totalBytes() >= s.freeBytes(), s.toString());
    }

    /** Linux's ioctl number encoding (asm-generic/ioctl.h): dir << 30 | size << 16 | type << 8 | nr. */
    private static long ioc(int dir, char type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    @Test
    void theNvmeIoctlNumbersAreLinuxs() {
        assertEquals(ioc(0, 'N', 0x40, 0), LinuxSystem.NVME_IOCTL_ID, "_IO('N', 0x40)");
        assertEquals(
                ioc(3, 'N', 0x41, LinuxSystem.NVME_PASSTHRU_SIZE),
                LinuxSystem.NVME_IOCTL_ADMIN_CMD,
                "_IOWR('N', 0x41, struct nvme_passthru_cmd)");
        assertEquals(72, LinuxSystem.NVME_PASSTHRU_SIZE);
    }

    @Test
    void nvmeIdentifyOfADeviceThatIsNoNvmeNamespaceFailsNamingTheIoctl() {
        // /dev/null is no NVMe namespace: the kernel answers NVME_IOCTL_ID with ENOTTY
        SyscallException e =
                assertThrows(SyscallException.class, () -> sys().nvmeIdentifyNamespace(Path.of("/dev/null")));
        assertTrue(e.getMessage().contains("NVME_IOCTL_ID") && e.getMessage().contains("/dev/null"), e.getMessage());
        assertEquals(SyscallException.Reason.INVALID, e.reason(), e.getMessage());
    }

    @Test
    void failuresNameTheCallThePathAndTheErrno() {
        Path missing = dir.resolve("missing");
        SyscallException e = assertThrows(SyscallException.class, () -> sys().statvfs(missing));
        assertEquals(SyscallException.Reason.NOT_FOUND, e.reason());
        assertEquals("ENOENT", e.errnoName());
        assertEquals("statvfs(2) of " + missing + ": ENOENT (No such file or directory)", e.getMessage());
        SyscallException notBlock = assertThrows(SyscallException.class, () -> sys().blockDeviceSize(dir));
        assertTrue(notBlock.getMessage().startsWith("ioctl(BLKGETSIZE64) of " + dir + ": "), notBlock.getMessage());
        assertEquals(SyscallException.Reason.INVALID, notBlock.reason(), notBlock.getMessage());
        assertThrows(IllegalArgumentException.class, () -> sys().deletePartition(dir, 0));
    }

    @Test
    void umountOfSomethingNotMountedIsInvalid() {
        assumeTrue("root".equals(System.getProperty("user.name")), "umount2 needs root to reach EINVAL");
        SyscallException e = assertThrows(SyscallException.class, () -> sys().umount2(dir.toString(), 0));
        assertEquals("EINVAL", e.errnoName(), e.getMessage());
        assertTrue(e.getMessage().startsWith("umount2(2) of " + dir + ": EINVAL"), e.getMessage());
    }

    @Test
    void partitionsAddResizeAndDeleteOnALoopDevice() throws Exception {
        assumeTrue(
                "root".equals(System.getProperty("user.name")),
                "BLKPG needs root; skipped as " + System.getProperty("user.name"));
        assumeTrue(Files.exists(Path.of("/dev/loop-control")), "no /dev/loop-control; skipped");
        LinuxSystem s = sys();
        Path file = dir.resolve("disk.img");
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.truncate(0);
            c.position(64 * MIB - 1).write(java.nio.ByteBuffer.wrap(new byte[1]));
        }
        Path loop = Path.of(run("losetup", "--find", "--show", "--partscan", file.toString())
                .trim());
        try {
            assertEquals(64 * MIB, s.blockDeviceSize(loop));
            String name = loop.getFileName().toString();
            Path part = Path.of("/sys/block", name, name + "p1");

            s.addPartition(loop, 1, MIB, 16 * MIB);
            assertEquals(MIB / 512, sysfs(part.resolve("start")));
            assertEquals(16 * MIB / 512, sysfs(part.resolve("size")));

            SyscallException taken = assertThrows(SyscallException.class, () -> s.addPartition(loop, 1, 20 * MIB, MIB));
            assertEquals(SyscallException.Reason.BUSY, taken.reason(), taken.getMessage());
            assertTrue(
                    taken.getMessage().contains("BLKPG_ADD_PARTITION")
                            && taken.getMessage().contains(loop + " partition 1"),
                    taken.getMessage());

            s.resizePartition(loop, 1, MIB, 32 * MIB);
            assertEquals(32 * MIB / 512, sysfs(part.resolve("size")));
            assertEquals(32 * MIB, s.blockDeviceSize(Path.of("/dev", name + "p1")));

            try (FileChannel open = FileChannel.open(Path.of("/dev", name + "p1"), StandardOpenOption.READ)) {
                SyscallException busy = assertThrows(SyscallException.class, () -> s.deletePartition(loop, 1));
                assertEquals(SyscallException.Reason.BUSY, busy.reason(), busy.getMessage());
            }
            s.deletePartition(loop, 1);
            assertFalse(Files.exists(part), part + " still there after BLKPG_DEL_PARTITION");
            SyscallException gone = assertThrows(SyscallException.class, () -> s.deletePartition(loop, 1));
            assertEquals(SyscallException.Reason.NOT_FOUND, gone.reason(), gone.getMessage());
        } finally {
            run("losetup", "-d", loop.toString());
        }
    }

    private static long sysfs(Path p) throws IOException {
        assertTrue(Files.exists(p), p + " missing");
        return Long.parseLong(Files.readString(p).trim());
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd) + " hung");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        assertNotNull(out);
        return out;
    }
}
