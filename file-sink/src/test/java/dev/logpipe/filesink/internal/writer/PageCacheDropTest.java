package dev.logpipe.filesink.internal.writer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class PageCacheDropTest {

    private static final long MIB = 1L << 20;

    private record Call(FileChannel file, long offset, long length) {
    }

    @Test
    void eachRangeIsDroppedOnceInOrderKeepingTheHeadAndTheWindow(@TempDir Path dir) throws Exception {
        List<Call> calls = new ArrayList<>();
        PageCacheDrop drop = new PageCacheDrop((f, o, l) -> {
            calls.add(new Call(f, o, l));
            return 0;
        });
        FileChannel a = FileChannel.open(Files.createFile(dir.resolve("a.cq4")), StandardOpenOption.READ);
        FileChannel b = FileChannel.open(Files.createFile(dir.resolve("b.cq4")), StandardOpenOption.READ);
        drop.afterSync(a, 10 * MIB);                      // nothing is 64 MiB behind yet
        drop.afterSync(a, PageCacheDrop.WINDOW + 4 * MIB); // 3 MiB past the head: under a step
        assertEquals(List.of(), calls);
        drop.afterSync(a, PageCacheDrop.WINDOW + 20 * MIB);
        drop.afterSync(a, PageCacheDrop.WINDOW + 25 * MIB); // 5 MiB more: under a step
        drop.afterSync(a, PageCacheDrop.WINDOW + 40 * MIB);
        drop.afterSync(b, PageCacheDrop.WINDOW + 30 * MIB); // a new segment starts at its head again
        assertEquals(List.of(
                new Call(a, PageCacheDrop.KEEP_HEAD, 19 * MIB),
                new Call(a, 20 * MIB, 20 * MIB),
                new Call(b, PageCacheDrop.KEEP_HEAD, 29 * MIB)), calls);
        assertEquals(68 * MIB, drop.droppedBytes());
        a.close();
        b.close();
    }

    @Test
    void aFailingCallTurnsItOffForGood(@TempDir Path dir) throws Exception {
        int[] calls = {0};
        PageCacheDrop drop = new PageCacheDrop((f, o, l) -> {
            calls[0]++;
            return 22; // EINVAL
        });
        try (FileChannel a = FileChannel.open(Files.createFile(dir.resolve("a.cq4")), StandardOpenOption.READ)) {
            drop.afterSync(a, PageCacheDrop.WINDOW + 100 * MIB);
            drop.afterSync(a, PageCacheDrop.WINDOW + 200 * MIB);
        }
        assertEquals(1, calls[0]);
        assertEquals(0, drop.droppedBytes());
    }

    /** The real call on Linux: it answers 0 and leaves the file's bytes as they were. */
    @Test
    void onLinuxTheRealCallDropsAndTheBytesStay(@TempDir Path dir) throws Exception {
        assumeTrue("Linux".equals(System.getProperty("os.name")), "posix_fadvise is Linux's here");
        PageCacheDrop drop = PageCacheDrop.forThisOs();
        assertNotNull(drop, "the binding loads on Linux");
        Path file = dir.resolve("seg.cq4");
        byte[] data = new byte[(int) (PageCacheDrop.WINDOW + 16 * MIB)];
        for (int i = 0; i < data.length; i += 4096) {
            data[i] = (byte) (i >>> 12);
        }
        Files.write(file, data);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.getFD().sync();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            drop.afterSync(ch, data.length);
        }
        assertTrue(drop.droppedBytes() >= 8 * MIB, "dropped " + drop.droppedBytes());
        assertEquals(data.length - PageCacheDrop.WINDOW, drop.droppedTo());
        assertArrayEquals(data, Files.readAllBytes(file), "advice never changes the file");
    }
}
