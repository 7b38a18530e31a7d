package dev.logpipe.testsupport;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link FileStore} whose usable space a test sets, and which can be told to fail: drives the
 * journal writer's free-space check without filling a real disk.
 *
 * <p>Threading: thread-safe (its settings are atomics; tests change them while a writer reads).
 */
public final class FakeFileStore extends FileStore {

    private final AtomicLong usable;
    private final AtomicReference<IOException> failure = new AtomicReference<>();
    private final AtomicReference<Runnable> beforeRead = new AtomicReference<>();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicReference<java.util.function.LongSupplier> computed = new AtomicReference<>();

    public FakeFileStore(long usableBytes) {
        this.usable = new AtomicLong(usableBytes);
    }

    /** What {@link #getUsableSpace} answers from now on. */
    public void usable(long bytes) {
        usable.set(bytes);
    }

    /** What {@link #getUsableSpace} answers from now on: {@code f}'s value at each read (null: the fixed value). */
    public void usable(java.util.function.LongSupplier f) {
        computed.set(f);
    }

    /** Runs {@code hook} on the reading thread at the start of every read from now on (null: none), e.g. to hold the reader until a test is ready. */
    public void beforeRead(Runnable hook) {
        beforeRead.set(hook);
    }

    /** Makes {@link #getUsableSpace} throw {@code e} from now on (null: answer again). */
    public void fail(IOException e) {
        failure.set(e);
    }

    /** How often the usable space was read. */
    public long reads() {
        return reads.get();
    }

    @Override
    public long getUsableSpace() throws IOException {
        reads.incrementAndGet();
        Runnable hook = beforeRead.get();
        if (hook != null) {
            hook.run();
        }
        IOException e = failure.get();
        if (e != null) {
            throw e;
        }
        java.util.function.LongSupplier f = computed.get();
        return f != null ? f.getAsLong() : usable.get();
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public String type() {
        return "fake";
    }

    @Override
    public boolean isReadOnly() {
        return false;
    }

    @Override
    public long getTotalSpace() {
        return Long.MAX_VALUE;
    }

    @Override
    public long getUnallocatedSpace() {
        return usable.get();
    }

    @Override
    public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
        return false;
    }

    @Override
    public boolean supportsFileAttributeView(String name) {
        return false;
    }

    @Override
    public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
        return null;
    }

    @Override
    public Object getAttribute(String attribute) {
        throw new UnsupportedOperationException(attribute);
    }
}
