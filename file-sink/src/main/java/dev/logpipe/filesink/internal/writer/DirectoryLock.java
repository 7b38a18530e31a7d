package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.JournalLockedException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The journal directory's writer lock: an OS file lock on {@value #FILE_NAME}, held for the life of
 * the writer. Chronicle Queue lets several processes append to one queue, which would interleave
 * two pipelines' records; this lock makes a second writer fail fast instead. The OS releases it
 * when the process dies, so a crash never leaves a stale lock.
 *
 * <p>Threading: thread-safe (acquire once, release once).
 */
public final class DirectoryLock implements AutoCloseable {

    /** The lock file's name in the journal directory. */
    public static final String FILE_NAME = "logpipe.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code dir}, creating the directory if needed.
     *
     * @throws JournalLockedException if another live writer holds it
     * @throws UncheckedIOException if the directory cannot be created or written
     */
    public static DirectoryLock acquire(Path dir) {
        Path file = dir.resolve(FILE_NAME);
        FileChannel ch;
        try {
            Files.createDirectories(dir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            if (Files.exists(dir) && !Files.isDirectory(dir)) {
                throw new UncheckedIOException("cannot open journal directory " + dir + ": it is a file, not a"
                        + " directory; pass a directory (it is created if missing)", e);
            }
            throw new UncheckedIOException("cannot open journal directory " + dir + " for writing: " + e
                    + "; check that it exists and is writable", e);
        }
        try {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // held by this JVM
            }
            if (l == null) {
                String holder = readHolder(ch);
                ch.close();
                throw new JournalLockedException("journal directory " + dir + " is in use by another logpipe writer"
                        + (holder.isEmpty() ? "" : " (" + holder + ")")
                        + "; stop that process or use another data directory");
            }
            String me = "pid " + ProcessHandle.current().pid();
            byte[] b = me.getBytes(StandardCharsets.US_ASCII);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(b), 0);
            return new DirectoryLock(ch, l);
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot lock journal directory " + dir + ": " + e, e);
        }
    }

    private static String readHolder(FileChannel ch) {
        try {
            ByteBuffer bb = ByteBuffer.allocate(64);
            int n = ch.read(bb, 0);
            return n <= 0 ? "" : new String(bb.array(), 0, n, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException ignored) {
            // closing the channel releases it anyway
        }
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
