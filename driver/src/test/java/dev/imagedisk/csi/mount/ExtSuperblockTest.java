package dev.imagedisk.csi.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtSuperblockTest {
    @TempDir
    Path dir;

    @Test
    void parsesBlockCountAndSizeIncluding64Bit() {
        ByteBuffer sb = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        sb.putShort(0x38, (short) 0xEF53);
        sb.putInt(0x18, 2); // 4 KiB blocks
        sb.putInt(0x04, 65536);
        assertEquals(65536L * 4096, ExtSuperblock.sizeBytes(sb));
        sb.putInt(0x60, 0x80); // 64bit
        sb.putInt(0x150, 1);
        assertEquals(((1L << 32) + 65536) * 4096, ExtSuperblock.sizeBytes(sb));
        sb.putShort(0x38, (short) 0);
        assertEquals(-1, ExtSuperblock.sizeBytes(sb));
    }

    @Test
    void agreesWithDumpe2fsOnRealFilesystems() throws Exception {
        assumeTrue(
                Files.isExecutable(Path.of("/sbin/mkfs.ext4")) || Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")),
                "mkfs.ext4 not installed");
        for (String[] mk : new String[][] {
            {"mkfs.ext4", "-F", "-q"},
            {"mkfs.ext4", "-F", "-q", "-b", "1024"},
            {"mkfs.ext4", "-F", "-q", "-O", "^64bit"},
            {"mkfs.ext3", "-F", "-q"}
        }) {
            Path img = dir.resolve("fs-" + String.join("", mk).hashCode() + ".img");
            String[] cmd = new String[mk.length + 2];
            System.arraycopy(mk, 0, cmd, 0, mk.length);
            cmd[mk.length] = img.toString();
            cmd[mk.length + 1] = "96M";
            run(cmd);
            String out = run("dumpe2fs", "-h", img.toString());
            Matcher count = Pattern.compile("(?m)^Block count:\\s+(\\d+)").matcher(out);
            Matcher size = Pattern.compile("(?m)^Block size:\\s+(\\d+)").matcher(out);
            assertEquals(true, count.find() && size.find(), out);
            assertEquals(
                    Long.parseLong(count.group(1)) * Long.parseLong(size.group(1)),
                    ExtSuperblock.sizeBytes(img),
                    String.join(" ", mk));
        }
        assertEquals(-1, ExtSuperblock.sizeBytes(dir.resolve("missing")));
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }
}
