package dev.logpipe.filesink.internal.writer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileDescriptor;
import java.lang.reflect.Field;
import java.nio.channels.FileChannel;

/**
 * Drops a segment's durable pages from the page cache once they are {@link #WINDOW} behind what the
 * last sync covered ({@code posix_fadvise(POSIX_FADV_DONTNEED)}), so that the pages the writer needs
 * next can be ones the kernel freed rather than fresh ones.
 *
 * <p>Why: a journal is written once and read mostly near its end, so its page cache only grows and
 * every new page of a segment is one the kernel has not used before. On a virtual machine that backs
 * guest memory lazily, such a page costs about 10 µs of CPU on first touch against under 1 µs for a
 * page freed and handed out again (bench/RESULTS.md, "Why a new page costs so much here"): at 200 MB/s
 * that was a fifth of {@code serve}'s CPU. Readers near the end (a live {@code tail}, a forwarder
 * keeping up) stay within the window; one further behind reads from disk, as it would once memory is
 * short.
 *
 * <p>Each range is dropped once, in order: Chronicle's index arrays sit behind the write position and
 * are still written to, so a page dropped again and again would be read back from disk each time;
 * dropped once, it is read back once (clean pages only are dropped; a dirty one stays). The head of
 * the file (header, first index) is never dropped.
 *
 * <p>Threading: {@link #afterSync} from the one sync in flight at a time.
 */
public final class PageCacheDrop {

    private static final Logger LOG = LoggerFactory.getLogger(PageCacheDrop.class);

    /** Bytes behind the durable end that stay cached. */
    static final long WINDOW = 64L << 20;
    /** The file's head: never dropped. */
    static final long KEEP_HEAD = 1L << 20;
    /** Dropped in steps of at least this much. */
    static final long STEP = 8L << 20;

    /** The system call, replaceable in tests: (the segment's open channel, offset, length) -> 0 or an error number. */
    public interface Advise {
        int dontNeed(FileChannel file, long offset, long length) throws Throwable;
    }

    private final Advise advise;
    private FileChannel segment;
    private long droppedTo;
    private volatile boolean disabled;
    private long droppedBytes;

    PageCacheDrop(Advise advise) {
        this.advise = advise;
    }

    /** The drop for this OS: Linux's {@code posix_fadvise}; elsewhere, or if it cannot be bound, null. */
    public static PageCacheDrop forThisOs() {
        if (!"Linux".equals(System.getProperty("os.name"))) {
            return null;
        }
        try {
            Fadvise.LibC libc = Fadvise.load();
            Field channelFd = Class.forName("sun.nio.ch.FileChannelImpl").getDeclaredField("fd");
            channelFd.setAccessible(true); // opened to us by the launcher's --add-opens, as Chronicle needs
            Field fdInt = FileDescriptor.class.getDeclaredField("fd");
            fdInt.setAccessible(true);
            return new PageCacheDrop((ch, offset, length) -> {
                // the channel's own descriptor: no path to marshal, no file to open per call
                int fd = fdInt.getInt(channelFd.get(ch));
                return libc.posix_fadvise(fd, offset, length, Fadvise.POSIX_FADV_DONTNEED);
            });
        } catch (Throwable t) {
            LOG.debug("posix_fadvise is not available ({}); the journal's page cache is left to the kernel", t.toString());
            return null;
        }
    }

    /**
     * A sync made the bytes of {@code segment} (its open channel) up to file offset {@code durableEnd}
     * durable: drops what is {@link #WINDOW} or more behind it and not dropped yet.
     */
    public void afterSync(FileChannel segment, long durableEnd) {
        if (disabled) {
            return;
        }
        if (segment != this.segment) {
            this.segment = segment;
            droppedTo = KEEP_HEAD;
        }
        long to = durableEnd - WINDOW;
        if (to - droppedTo < STEP) {
            return;
        }
        try {
            int rc = advise.dontNeed(segment, droppedTo, to - droppedTo);
            if (rc != 0) {
                off("posix_fadvise returned " + rc);
                return;
            }
            droppedBytes += to - droppedTo;
            droppedTo = to;
        } catch (Throwable t) {
            off(t.toString());
        }
    }

    /** Bytes dropped so far. */
    long droppedBytes() {
        return droppedBytes;
    }

    /** The offset up to which the current segment has been dropped. */
    long droppedTo() {
        return droppedTo;
    }

    private void off(String why) {
        if (!disabled) {
            disabled = true;
            LOG.info("dropping the journal's synced pages from the page cache is off: {}", why);
        }
    }

    /** The binding, kept apart so that loading it fails here, not in the class that uses it. */
    static final class Fadvise {
        static final int POSIX_FADV_DONTNEED = 4; // Linux

        private Fadvise() {
        }

        /** libc's function, through jnr-ffi (which Chronicle's own POSIX binding uses). */
        public interface LibC {
            int posix_fadvise(int fd, long offset, long len, int advice);
        }

        static LibC load() {
            return jnr.ffi.LibraryLoader.create(LibC.class).load("c");
        }
    }
}
