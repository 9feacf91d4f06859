package dev.imagedisk.csi.node;

import dev.imagedisk.csi.server.CsiErrors;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates and removes the mount-point directories and files of staging and target paths. */
public final class Directories {
    private static final Logger LOG = LoggerFactory.getLogger(Directories.class);

    public boolean exists(Path path) {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS);
    }

    /** Makes {@code path} a directory (with its parents); INTERNAL/FAILED_PRECONDITION when it cannot be one. */
    public boolean ensureDirectory(String field, Path path) {
        if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        if (exists(path)) {
            throw CsiErrors.failedPrecondition("%s %s exists and is not a directory", field, path);
        }
        try {
            Files.createDirectories(path);
            return true;
        } catch (IOException e) {
            throw CsiErrors.internal("creating %s %s: %s", field, path, e);
        }
    }

    /** Makes {@code path} an empty regular file to bind a block device on; an empty directory is replaced. */
    public boolean ensureFile(String field, Path path) {
        if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(path);
            }
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            Files.createFile(path);
            return true;
        } catch (DirectoryNotEmptyException e) {
            throw CsiErrors.failedPrecondition(
                    "%s %s is a non-empty directory; a block volume needs a file there", field, path);
        } catch (FileAlreadyExistsException e) {
            throw CsiErrors.failedPrecondition("%s %s exists and is not a regular file", field, path);
        } catch (IOException e) {
            throw CsiErrors.internal("creating %s %s: %s", field, path, e);
        }
    }

    /** Removes the file or empty directory at {@code path}; a directory with files left in it is kept. */
    public void removeIfEmpty(String field, Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (DirectoryNotEmptyException e) {
            LOG.warn("{} {} is not empty after unmounting; leaving it in place", field, path);
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            throw CsiErrors.internal("removing %s %s: %s", field, path, e);
        }
    }
}
