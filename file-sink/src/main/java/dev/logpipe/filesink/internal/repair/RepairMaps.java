package dev.logpipe.filesink.internal.repair;

import dev.logpipe.filesink.JournalRepair.IndexRange;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The index maps of the repairs a journal went through: {@code repairs/NNNNNN.map} in the journal
 * directory, numbered from 1 in the order of the repairs (the number of maps is the journal's repair
 * generation). A position saved by index before repair {@code n} is translated by maps {@code n},
 * {@code n+1}, ... to the index of the same record now, or of the last record before it that a
 * repair kept. Text: a header line, then one run per line, {@code source-first source-last
 * target-first}, in source order.
 *
 * <p>Threading: stateless.
 */
public final class RepairMaps {

    /** The sub-directory of the journal that holds the maps. */
    public static final String DIR = "repairs";
    private static final String HEADER = "# logpipe repair map 1: source-first source-last target-first";
    private static final Pattern NAME = Pattern.compile("(\\d{6})\\.map");

    private RepairMaps() {
    }

    /**
     * The number of repairs recorded in {@code journal}, 0 for none.
     *
     * @throws IllegalStateException if the maps are not numbered 1 to N
     */
    public static int generation(Path journal) throws IOException {
        Path d = journal.resolve(DIR);
        if (!Files.isDirectory(d)) {
            return 0;
        }
        TreeSet<Integer> found = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, "*.map")) {
            for (Path p : ds) {
                Matcher m = NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    found.add(Integer.parseInt(m.group(1)));
                }
            }
        }
        if (!found.isEmpty() && (found.first() != 1 || found.last() != found.size())) {
            throw new IllegalStateException("the repair maps in " + d + " are not numbered 1 to " + found.size()
                    + " (found " + found + "): positions saved before a missing repair cannot be translated");
        }
        return found.size();
    }

    /** The file of map {@code n} in {@code journal}. */
    public static Path file(Path journal, int n) {
        return journal.resolve(DIR).resolve(String.format(java.util.Locale.ROOT, "%06d.map", n));
    }

    /** Writes map {@code n} of {@code journal} (a temporary file moved into place). */
    public static void write(Path journal, int n, List<IndexRange> runs) throws IOException {
        Path f = file(journal, n);
        Files.createDirectories(f.getParent());
        Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write(HEADER);
            w.newLine();
            for (IndexRange r : runs) {
                w.write(r.sourceFirst() + " " + r.sourceLast() + " " + r.targetFirst());
                w.newLine();
            }
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Reads map {@code n} of {@code journal}.
     *
     * @throws IllegalStateException if it is not a map (damaged or foreign)
     */
    public static List<IndexRange> read(Path journal, int n) throws IOException {
        Path f = file(journal, n);
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new IllegalStateException("the repair map " + f + " does not start with its header");
        }
        List<IndexRange> out = new ArrayList<>(lines.size() - 1);
        for (int i = 1; i < lines.size(); i++) {
            String[] p = lines.get(i).split(" ");
            try {
                if (p.length != 3) {
                    throw new NumberFormatException("3 numbers expected");
                }
                IndexRange r = new IndexRange(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]));
                if (r.sourceLast() < r.sourceFirst() || !out.isEmpty() && r.sourceFirst() <= out.get(out.size() - 1).sourceLast()) {
                    throw new NumberFormatException("runs out of order");
                }
                out.add(r);
            } catch (NumberFormatException e) {
                throw new IllegalStateException("line " + (i + 1) + " of the repair map " + f + " is not a run ("
                        + e.getMessage() + "): " + lines.get(i));
            }
        }
        return out;
    }

    /**
     * Where position {@code index} (a last index done) lies under one map: the target index of the
     * last source record at or before it that the repair kept, -1 if it kept none.
     */
    public static long translate(List<IndexRange> runs, long index) {
        int lo = 0;
        int hi = runs.size() - 1;
        int at = -1; // the last run starting at or before index
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (runs.get(mid).sourceFirst() <= index) {
                at = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (at < 0) {
            return -1;
        }
        IndexRange r = runs.get(at);
        return index <= r.sourceLast() ? r.targetFirst() + (index - r.sourceFirst()) : r.targetLast();
    }
}
