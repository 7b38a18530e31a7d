package dev.logpipe.filesink.internal.reader;

import dev.logpipe.filesink.DamagedPositionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A named reader's position file: what a flipped bit, a save cut short and a version 1 file read as.
 * A reader may resume at the position saved last or the one before it (a record returned twice),
 * or refuse a damaged file; never at an index nobody saved.
 */
class PositionFileTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(PositionFile.DIR).resolve("r.pos");
    }

    private long saveAll(long... indexes) {
        try (PositionFile p = PositionFile.open(dir, "r", false, true)) {
            for (long i : indexes) {
                p.lastRead(i);
            }
        }
        return indexes[indexes.length - 1];
    }

    @Test
    void aNewFileHasNothingReadAndKeepsTheLastSave() throws Exception {
        try (PositionFile p = PositionFile.open(dir, "r", false, true)) {
            assertEquals(-1, p.lastRead());
        }
        assertEquals(OptionalLong.of(-1), PositionFile.read(dir, "r"));
        saveAll(5, 6, 7, 1_000_000_000_007L);
        assertEquals(OptionalLong.of(1_000_000_000_007L), PositionFile.read(dir, "r"));
        try (PositionFile p = PositionFile.open(dir, "r", false, true)) {
            assertEquals(1_000_000_000_007L, p.lastRead());
            p.lastRead(1_000_000_000_008L);
        }
        assertEquals(OptionalLong.of(1_000_000_000_008L), PositionFile.read(dir, "r"));
        assertEquals(OptionalLong.empty(), PositionFile.read(dir, "other"));
    }

    @Test
    void everySingleBitFlipReadsAsTheLastSaveThePreviousOneOrDamage() throws Exception {
        long previous = 0x1_0000_2F41L;
        long last = previous + 1;
        saveAll(previous - 1, previous, last);
        byte[] good = Files.readAllBytes(file());
        assertEquals(64, good.length);
        int damaged = 0;
        int previousRead = 0;
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] b = good.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            Files.write(file(), b);
            try {
                long v = PositionFile.read(dir, "r").getAsLong();
                assertTrue(v == last || v == previous, "bit " + bit + " read as " + v);
                if (v == previous) {
                    previousRead++;
                }
            } catch (DamagedPositionException e) {
                assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
                damaged++;
            }
        }
        assertEquals(64, damaged, "a flip in the magic is damage");
        assertEquals(24 * 8, previousRead, "a flip in the last save's slot falls back to the save before it");
    }

    @Test
    void aSaveCutShortAtAnyStoreReadsAsTheSaveBeforeOrItself() throws Exception {
        saveAll(10, 11);
        byte[] before = Files.readAllBytes(file());
        saveAll(12);
        byte[] after = Files.readAllBytes(file());
        ByteBuffer a = ByteBuffer.wrap(after).order(ByteOrder.LITTLE_ENDIAN);
        // the 8-byte words the save changed; every subset of them written, in any order a kill leaves
        int[] changed = java.util.stream.IntStream.range(0, 8)
                .filter(w -> a.getLong(w * 8) != ByteBuffer.wrap(before).order(ByteOrder.LITTLE_ENDIAN).getLong(w * 8))
                .toArray();
        assertEquals(3, changed.length, "a save writes one slot's three words");
        for (int subset = 0; subset < 1 << changed.length; subset++) {
            byte[] b = before.clone();
            for (int k = 0; k < changed.length; k++) {
                if ((subset & 1 << k) != 0) {
                    System.arraycopy(after, changed[k] * 8, b, changed[k] * 8, 8);
                }
            }
            Files.write(file(), b);
            long v = PositionFile.read(dir, "r").getAsLong();
            long expected = subset == (1 << changed.length) - 1 ? 12 : 11;
            assertEquals(expected, v, "words written: " + Integer.toBinaryString(subset));
        }
    }

    @Test
    void aVersionOneFileIsReadAndRewritten() throws Exception {
        Files.createDirectories(file().getParent());
        ByteBuffer v1 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        v1.putLong(0x4C50504F53303031L).putLong(41);
        Files.write(file(), v1.array());
        assertEquals(OptionalLong.of(41), PositionFile.read(dir, "r"));
        try (PositionFile p = PositionFile.open(dir, "r", false, true)) {
            assertEquals(41, p.lastRead());
        }
        assertEquals(64, Files.size(file()), "rewritten as version 2");
        assertEquals(OptionalLong.of(41), PositionFile.read(dir, "r"));
    }

    @Test
    void aDamagedFileIsRefusedUnlessTheStartAlwaysApplies() throws Exception {
        saveAll(3, 4);
        byte[] junk = new byte[64];
        java.util.Arrays.fill(junk, (byte) 0x5A);
        Files.write(file(), junk);
        DamagedPositionException e = assertThrows(DamagedPositionException.class, () -> PositionFile.read(dir, "r"));
        assertTrue(e.getMessage().contains(file().toString()), e.getMessage());
        assertThrows(DamagedPositionException.class, () -> PositionFile.open(dir, "r", false, true));
        assertArrayEquals(junk, Files.readAllBytes(file()), "a refused file is left as it was");
        assertEquals(Map.of("r", -1L), PositionFile.readAll(dir), "retention keeps everything for it");
        try (PositionFile p = PositionFile.open(dir, "r", true, true)) {
            assertEquals(-1, p.lastRead());
            p.lastRead(9);
        }
        assertEquals(OptionalLong.of(9), PositionFile.read(dir, "r"));
    }

    @Test
    void aFileOfZerosIsOneNeverSaved() throws Exception {
        Files.createDirectories(file().getParent());
        Files.write(file(), new byte[64]);
        assertEquals(OptionalLong.of(-1), PositionFile.read(dir, "r"));
        Files.write(file(), new byte[0]);
        assertEquals(OptionalLong.of(-1), PositionFile.read(dir, "r"));
        try (PositionFile p = PositionFile.open(dir, "r", false, true)) {
            assertEquals(-1, p.lastRead());
        }
    }
}
