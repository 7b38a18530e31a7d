package dev.logpipe.filesink.internal.queue;

/**
 * The {@code madvise(2)} system call on a range of a mapping, replaceable in tests: (address, length,
 * advice) to 0, or an error code.
 */
@FunctionalInterface
public interface Madvise {

    /** Linux {@code MADV_DONTNEED}: the range's pages leave the mapping (a shared file mapping keeps their contents in the page cache). */
    int MADV_DONTNEED = 4;
    /** Linux {@code MADV_POPULATE_READ} (5.14+). */
    int MADV_POPULATE_READ = 22;
    /** Linux {@code MADV_POPULATE_WRITE} (5.14+). */
    int MADV_POPULATE_WRITE = 23;

    int madvise(long address, long length, int advice) throws Throwable;

    /**
     * The real call through Chronicle's posix binding (JNR), on Linux. Elsewhere, or where that binding
     * fell back to its no-op implementation (which answers 0 to everything), every call answers -1, so a
     * user that needs it switches itself off on its first call.
     */
    static Madvise ofThisOs() {
        return (a, l, adv) -> {
            net.openhft.posix.PosixAPI api = net.openhft.posix.PosixAPI.posix();
            if (!"Linux".equals(System.getProperty("os.name")) || api.getClass().getSimpleName().startsWith("NoOp")) {
                return -1;
            }
            return api.madvise(a, l, adv);
        };
    }
}
