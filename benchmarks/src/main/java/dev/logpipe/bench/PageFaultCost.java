package dev.logpipe.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * How much the first write to a new page of a memory-mapped sparse file costs on this machine,
 * against a second write to the same, now resident, page. Chronicle Queue appends exactly like this
 * (a mapping of a sparse segment file), so the first figure times the page faults the journal
 * writer takes in the kernel: one per 4 KiB, i.e. one per ~27 of WriterBench's 153-byte records.
 * It is a property of the machine (kernel, file system, hypervisor), not of logpipe; run it where you
 * run WriterBench to read the writer's kernel time against it.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.logpipe.bench.PageFaultCost [DIR] [MiB]} (default:
 * the temp directory, 1024 MiB). The file is deleted at the end.
 *
 * <p>Threading: a program; one thread.
 */
public final class PageFaultCost {

    private static final int PAGE = 4096;

    private PageFaultCost() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Paths.get(args[0]) : Paths.get(System.getProperty("java.io.tmpdir"));
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 1024;
        if (mib < 1 || mib > 2047) {
            System.err.println("size must be 1..2047 MiB (one mapping)");
            System.exit(2);
        }
        long size = mib << 20;
        Path file = Files.createTempFile(dir, "page-fault-cost-", ".bin");
        try {
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.setLength(size); // sparse, like a Chronicle segment
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, size);
                String[] passes = {"first write to each new page of a sparse file", "second write to the same pages"};
                for (int pass = 0; pass < passes.length; pass++) {
                    long t0 = System.nanoTime();
                    for (int off = 0; off < size; off += PAGE) {
                        map.put(off, (byte) 1);
                    }
                    long nanos = System.nanoTime() - t0;
                    double perPage = nanos / (double) (size / PAGE);
                    System.out.printf(Locale.ROOT, "page-fault-cost %s: %.0f ns per 4 KiB page (%.0f MB/s);"
                            + " per 153-byte record %.1f ns%n", passes[pass], perPage, size / (nanos / 1e9) / 1e6,
                            perPage * 153 / PAGE);
                }
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
