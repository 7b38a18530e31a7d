package dev.logpipe.filesink.internal.writer;

import dev.logpipe.filesink.internal.queue.Madvise;
import dev.logpipe.runtime.TaskRuntime;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.MappedBytes;
import net.openhft.chronicle.bytes.MappedBytesStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which ranges the prefaulter asks for, what a failure does, and that populating changes no byte. */
class PagePrefaulterTest {

    private static final long CHUNK = 64L << 20;

    @TempDir
    Path tmp;

    private TaskRuntime runtime;
    private MappedBytes bytes;

    @BeforeEach
    void setUp() throws Exception {
        runtime = TaskRuntime.builder().workerThreads(1).maxBlockingThreads(2).threadNamePrefix("test").build();
        File f = tmp.resolve("segment").toFile();
        bytes = MappedBytes.mappedBytes(f, CHUNK);
    }

    @AfterEach
    void tearDown() {
        bytes.releaseLast();
        runtime.shutdown(Duration.ofSeconds(5));
    }

    /** Writes n bytes of 'x' and returns the store of the chunk they are in. */
    private BytesStore<?, ?> append(int n) {
        for (int i = 0; i < n; i++) {
            bytes.writeByte((byte) 'x');
        }
        return bytes.bytesStore();
    }

    private record Call(long address, long length, int advice) { }

    /** An madvise that records every call and succeeds. */
    private static Madvise recording(List<Call> calls) {
        return (a, l, adv) -> {
            calls.add(new Call(a, l, adv));
            return 0;
        };
    }

    @Test
    void asksForPageAlignedRangesAheadOfTheWriterOneAtATime() throws Exception {
        List<Call> calls = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        PagePrefaulter p = new PagePrefaulter(runtime, (a, l, adv) -> {
            calls.add(new Call(a, l, adv));
            release.await(10, TimeUnit.SECONDS);
            return 0;
        });
        BytesStore<?, ?> store = append(5000);
        long base = store.addressForRead(0);
        assertTrue(p.afterBatch(store, bytes.writePosition(), true));
        assertFalse(p.afterBatch(store, bytes.writePosition(), true), "one call in flight at a time");
        waitFor(() -> calls.size() == 1);
        Call first = calls.get(0);
        assertEquals(PagePrefaulter.MADV_POPULATE_WRITE, first.advice());
        assertEquals(base + 8192, first.address(), "from the first page boundary after the write position");
        assertEquals(PagePrefaulter.AHEAD, first.length());
        assertEquals(0, first.address() % 4096);
        release.countDown();
        waitFor(() -> p.populatedBytes() == PagePrefaulter.AHEAD);

        // still more than half of AHEAD populated ahead: nothing to do
        assertFalse(p.afterBatch(store, bytes.writePosition(), true));

        // the writer moves on past half of it: the next range starts where the last one ended
        bytes.writePosition(8192 + PagePrefaulter.AHEAD / 2 + 100);
        assertTrue(p.afterBatch(store, bytes.writePosition(), true));
        waitFor(() -> populates(calls).size() == 2);
        assertEquals(first.address() + first.length(), populates(calls).get(1).address());
        assertFalse(p.disabled());
    }

    @Test
    void populatesReadableWhenTheWriterWillNotFillThePagesBeforeASync() throws Exception {
        List<Call> calls = new CopyOnWriteArrayList<>();
        PagePrefaulter p = new PagePrefaulter(runtime, recording(calls));
        BytesStore<?, ?> store = append(5000);
        assertTrue(p.afterBatch(store, bytes.writePosition(), false));
        waitFor(() -> p.populatedBytes() == PagePrefaulter.AHEAD);
        assertEquals(1, calls.size());
        assertEquals(PagePrefaulter.MADV_POPULATE_READ, calls.get(0).advice(), "clean pages: a sync neither writes nor write-protects them");
        // busy again: the next range may be writable
        bytes.writePosition(8192 + PagePrefaulter.AHEAD / 2 + 100);
        assertTrue(p.afterBatch(store, bytes.writePosition(), true));
        waitFor(() -> populates(calls).size() == 2);
        assertEquals(PagePrefaulter.MADV_POPULATE_WRITE, populates(calls).get(1).advice());
    }

    @Test
    void dropsPagesFarBehindTheWriterOnItsOwnThreadInSteps() throws Exception {
        List<Call> calls = new CopyOnWriteArrayList<>();
        PagePrefaulter p = new PagePrefaulter(runtime, recording(calls));
        BytesStore<?, ?> store = append(100);
        long base = store.addressForRead(0);
        p.afterBatch(store, bytes.writePosition(), true);
        assertTrue(releases(calls).isEmpty(), "nothing far enough behind yet");

        long end = PagePrefaulter.KEEP_HEAD + PagePrefaulter.KEEP_BEHIND + PagePrefaulter.RELEASE_STEP + 5000;
        p.afterBatch(store, end, true);
        List<Call> released = releases(calls);
        assertEquals(1, released.size(), "on the writer's thread, before afterBatch returns: " + calls);
        Call first = released.get(0);
        assertEquals(base + PagePrefaulter.KEEP_HEAD, first.address(), "the file's head is kept");
        long to = (end - PagePrefaulter.KEEP_BEHIND) & -4096L;
        assertEquals(to - PagePrefaulter.KEEP_HEAD, first.length(), "up to KEEP_BEHIND before the writer, page-aligned");
        assertEquals(first.length(), p.releasedBytes());

        p.afterBatch(store, end + PagePrefaulter.RELEASE_STEP / 2, true);
        assertEquals(1, releases(calls).size(), "less than a step more: nothing");
        p.afterBatch(store, end + PagePrefaulter.RELEASE_STEP, true);
        assertEquals(2, releases(calls).size());
        assertEquals(first.address() + first.length(), releases(calls).get(1).address(), "from where the last one ended");
    }

    @Test
    void whenTheWriterMovesToTheNextChunkWhatItWroteThroughTheLastIsReleased() throws Exception {
        // Chronicle keeps some of a segment's chunk mappings while it is open (one every 4 M records, for
        // its index), with what was written or zeroed through them, the 4 MiB overlap past the chunk's end
        // included: 276 MiB resident for a 13 GB segment
        List<Call> calls = new CopyOnWriteArrayList<>();
        PagePrefaulter p = new PagePrefaulter(runtime, recording(calls));
        BytesStore<?, ?> first = append(100);
        net.openhft.chronicle.core.io.ReferenceOwner queue = net.openhft.chronicle.core.io.ReferenceOwner.temporary("queue");
        first.reserve(queue); // kept mapped, as the queue keeps it
        long base = first.addressForRead(0);
        long end = CHUNK - 10_000; // near the end of the first chunk
        p.afterBatch(first, end, true);
        int before = releases(calls).size();

        bytes.writePosition(CHUNK + 5000);
        bytes.writeByte((byte) 'x');
        BytesStore<?, ?> next = bytes.bytesStore();
        assertTrue(next != first, "the writer is in the next chunk's mapping");
        p.afterBatch(next, bytes.writePosition(), true);
        List<Call> released = releases(calls);
        assertEquals(before + 1, released.size(), "the last chunk, once: " + released);
        Call all = released.get(before);
        MappedBytesStore m = (MappedBytesStore) first;
        assertEquals(base + PagePrefaulter.KEEP_HEAD, all.address(), "all of it but the file's head");
        assertEquals(m.capacity() - PagePrefaulter.KEEP_HEAD, all.length(),
                "to the end of its mapping, overlap included, and not a byte past it");
        assertTrue(m.capacity() > CHUNK, "the mapping has an overlap past the chunk");

        // and once more at the next switch: what Chronicle touched in it after the writer left is released too
        bytes.writePosition(2 * CHUNK + 5000);
        bytes.writeByte((byte) 'x');
        p.afterBatch(bytes.bytesStore(), bytes.writePosition(), true);
        assertTrue(releases(calls).stream().skip(before + 1).anyMatch(c -> c.address() == all.address()
                && c.length() == all.length()), "released again: " + releases(calls));
        first.release(queue);
    }

    private static List<Call> populates(List<Call> calls) {
        return calls.stream().filter(c -> c.advice() != PagePrefaulter.MADV_DONTNEED).toList();
    }

    private static List<Call> releases(List<Call> calls) {
        return calls.stream().filter(c -> c.advice() == PagePrefaulter.MADV_DONTNEED).toList();
    }

    @Test
    void theRealReleaseOfAChunkTheWriterLeftKeepsEveryByteAndTouchesNothingElse() throws Exception {
        // a wrong range here would drop another mapping's pages (the heap's, say): the JVM would crash
        PagePrefaulter p = PagePrefaulter.forThisOs(runtime);
        BytesStore<?, ?> first = append(100);
        net.openhft.chronicle.core.io.ReferenceOwner queue = net.openhft.chronicle.core.io.ReferenceOwner.temporary("queue");
        first.reserve(queue);
        byte[] marks = new byte[CHUNK_MARKS];
        java.util.Random rnd = new java.util.Random(7);
        rnd.nextBytes(marks);
        long[] at = {100, PagePrefaulter.KEEP_HEAD + 5, CHUNK - 3, CHUNK + 1000}; // the last in the overlap
        for (int i = 0; i < at.length; i++) {
            first.writeByte(at[i], marks[i]);
        }
        p.afterBatch(first, CHUNK - 2, true);
        bytes.writePosition(CHUNK + 5000);
        bytes.writeByte((byte) 'x');
        p.afterBatch(bytes.bytesStore(), bytes.writePosition(), true);
        bytes.writePosition(2 * CHUNK + 5000);
        bytes.writeByte((byte) 'y');
        p.afterBatch(bytes.bytesStore(), bytes.writePosition(), true);
        if (System.getProperty("os.name").equals("Linux")) {
            assertTrue(p.releasedBytes() >= CHUNK, "the real madvise dropped the chunk: " + p.releasedBytes());
        }
        for (int i = 0; i < at.length; i++) {
            assertEquals(marks[i], first.readByte(at[i]), "through the old mapping, offset " + at[i]);
        }
        assertEquals((byte) 'x', bytes.readByte(CHUNK + 5000));
        first.release(queue);
    }

    private static final int CHUNK_MARKS = 4;

    @Test
    void theRealReleaseKeepsEveryByteInTheFileAndTheMapping() throws Exception {
        PagePrefaulter p = PagePrefaulter.forThisOs(runtime);
        int size = 6 << 20;
        byte[] block = new byte[4096];
        for (int i = 0; i < size; i += block.length) {
            for (int j = 0; j < block.length; j++) {
                block[j] = (byte) (i / 4096 + j);
            }
            bytes.write(block);
        }
        BytesStore<?, ?> store = bytes.bytesStore();
        p.afterBatch(store, bytes.writePosition(), true);
        if (System.getProperty("os.name").equals("Linux")) {
            assertTrue(p.releasedBytes() >= PagePrefaulter.RELEASE_STEP, "the real madvise dropped pages: " + p.releasedBytes());
        }
        // written, never synced: the dropped pages are still the page cache's (dirty), read back through
        // the mapping and through the file
        byte[] viaFile = new byte[size];
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(tmp.resolve("segment").toFile(), "r")) {
            f.readFully(viaFile);
        }
        for (int i = 0; i < size; i++) {
            byte want = (byte) (i / 4096 + i % 4096);
            if (bytes.readByte(i) != want || viaFile[i] != want) {
                assertEquals(want, bytes.readByte(i), "mapping, byte " + i);
                assertEquals(want, viaFile[i], "file, byte " + i);
            }
        }
    }

    @Test
    void aFailureBeforeAnySuccessSwitchesItOff() throws Exception {
        List<Call> calls = new CopyOnWriteArrayList<>();
        PagePrefaulter p = new PagePrefaulter(runtime, (a, l, adv) -> {
            calls.add(new Call(a, l, adv));
            return -1; // EINVAL on a kernel without MADV_POPULATE_WRITE
        });
        BytesStore<?, ?> store = append(100);
        p.afterBatch(store, bytes.writePosition(), true);
        waitFor(p::disabled);
        bytes.writePosition(PagePrefaulter.AHEAD * 2);
        assertFalse(p.afterBatch(store, bytes.writePosition(), true), "no call after it switched off");
        assertEquals(1, calls.size());
    }

    @Test
    void withoutThePopulateAdviceThePagesBehindStillLeaveTheMapping() throws Exception {
        // a kernel before 5.14 (RHEL 8's 4.18): no MADV_POPULATE_*, but MADV_DONTNEED works
        List<Call> calls = new CopyOnWriteArrayList<>();
        PagePrefaulter p = new PagePrefaulter(runtime, (a, l, adv) -> {
            calls.add(new Call(a, l, adv));
            return adv == PagePrefaulter.MADV_DONTNEED ? 0 : -1;
        });
        BytesStore<?, ?> store = append(100);
        p.afterBatch(store, bytes.writePosition(), true);
        waitFor(p::disabled);
        long end = PagePrefaulter.KEEP_HEAD + PagePrefaulter.KEEP_BEHIND + PagePrefaulter.RELEASE_STEP + 5000;
        assertFalse(p.afterBatch(store, end, true), "no populate call after it switched off");
        assertEquals(1, populates(calls).size());
        assertEquals(1, releases(calls).size(), "the release goes on: " + calls);
        assertTrue(p.releasedBytes() >= PagePrefaulter.RELEASE_STEP);
    }

    @Test
    void aFailureAfterASuccessIsCountedNotFatal() throws Exception {
        int[] n = {0};
        // the populate calls fail after the first (the releases behind succeed)
        PagePrefaulter p = new PagePrefaulter(runtime,
                (a, l, adv) -> adv == PagePrefaulter.MADV_DONTNEED || n[0]++ == 0 ? 0 : -1);
        BytesStore<?, ?> store = append(100);
        p.afterBatch(store, bytes.writePosition(), true);
        waitFor(() -> p.populatedBytes() > 0);
        bytes.writePosition(PagePrefaulter.AHEAD);
        p.afterBatch(store, bytes.writePosition(), true);
        waitFor(() -> p.failures() == 1);
        assertFalse(p.disabled());
    }

    @ParameterizedTest(name = "writable {0}")
    @ValueSource(booleans = {true, false})
    void theRealCallChangesNoByte(boolean writable) throws Exception {
        PagePrefaulter p = PagePrefaulter.forThisOs(runtime);
        BytesStore<?, ?> store = append(10_000);
        assertTrue(p.afterBatch(store, bytes.writePosition(), writable));
        waitFor(() -> p.populatedBytes() > 0 || p.disabled());
        if (kernelHasPopulateWrite()) {
            assertEquals(PagePrefaulter.AHEAD, p.populatedBytes(), "the real madvise worked");
        } else {
            assertTrue(p.disabled(), "without the advice it switched itself off");
        }
        bytes.readPosition(0);
        for (int i = 0; i < 10_000; i++) {
            assertEquals('x', bytes.readByte(i));
        }
        for (long i = 10_000; i < 10_000 + PagePrefaulter.AHEAD + 8192; i += 509) {
            assertEquals(0, bytes.readByte(i), "byte " + i + " is still zero");
        }
        assertTrue(Files.size(tmp.resolve("segment")) >= CHUNK);
    }

    /** Linux 5.14 or later (MADV_POPULATE_WRITE and _READ). */
    private static boolean kernelHasPopulateWrite() {
        if (!System.getProperty("os.name").equals("Linux")) {
            return false;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(System.getProperty("os.version"));
        if (!m.find()) {
            return false;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        return major > 5 || (major == 5 && minor >= 14);
    }

    private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(1);
        }
    }
}
