package dev.logpipe.filesink.internal.repair;

import dev.logpipe.filesink.RepairInterruptedException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The last step of an in-place repair, made safe against a crash: the original journal's files move
 * aside and the repaired copy's move in, which takes one rename per file and cannot be atomic. A
 * process killed between two of those renames (or a machine that lost power before they reached the
 * disk) would leave a directory holding part of each journal; a server started on it would append to
 * that part, and the rest would lie hidden in the directories beside it.
 *
 * <p>So, in order: the copy is made durable (every file and directory of it synced); a marker,
 * {@value #MARKER}, naming the copy, the aside directory and every original file to move, is written
 * and synced; the renames follow, then the directories are synced, and the marker goes last. Until the
 * marker exists nothing in the journal has moved (a crash leaves the original journal and an unused
 * copy, which {@link #recover} deletes); once it exists, {@link #recover} finishes the renames from
 * wherever they stopped. It runs where the directory's writer lock is taken to write: the journal
 * writer's start ({@code serve}, an embedded pipeline) and an in-place repair. Readers refuse a
 * directory with the marker ({@link #refuseIfInterrupted}): what they would see is neither journal.
 *
 * <p>Finishing is idempotent: every original is moved aside before any file of the copy moves in, so
 * an original still in the journal directory (and not yet aside) means none has moved in; a name in
 * both the journal directory and the aside directory means the one in the journal is the copy's.
 *
 * <p>Threading: stateless; callers hold the directory's writer lock.
 */
public final class RepairSwap {

    /** The marker file in the journal directory while its files are being swapped. */
    public static final String MARKER = "repair-in-progress";
    private static final String HEADER = "# logpipe in-place repair 1";
    /** The prefix of an in-place repair's copy beside the journal ({@code repair-TIME.tmp}). */
    public static final String COPY_PREFIX = "repair-";
    /** The suffix of that copy's directory name. */
    public static final String COPY_SUFFIX = ".tmp";
    /** Called after each step; tests stop the swap there to play a crash. */
    @FunctionalInterface
    public interface Step {
        /** No test hook. */
        Step NONE = what -> { };

        void reached(String what) throws IOException;
    }

    private RepairSwap() {
    }

    /**
     * Swaps the repaired copy {@code copy} (a directory inside {@code dir}) in for the journal's files
     * named {@code originals}, which go to {@code aside} (also inside {@code dir}, created here).
     *
     * @param lockFileName the writer lock file's name, neither moved aside nor in
     */
    public static void swap(Path dir, Path copy, Path aside, List<String> originals, String lockFileName, Step step)
            throws IOException {
        syncTree(copy);
        step.reached("copy synced");
        Files.createDirectory(aside);
        writeMarker(dir, copy, aside, originals);
        step.reached("marker written");
        finish(dir, copy, aside, originals, lockFileName, step);
    }

    /**
     * Finishes an in-place repair that stopped while swapping files, and deletes the copy of one that
     * stopped before (a {@code repair-*.tmp} directory with no marker naming it: the journal was left as
     * it was). The caller holds the directory's writer lock.
     *
     * @return what was done, for the log; empty if nothing was there
     * @throws IllegalStateException if the marker is not one this code wrote (it says what to do)
     */
    public static Optional<String> recover(Path dir, String lockFileName) throws IOException {
        Path marker = dir.resolve(MARKER);
        String done = null;
        if (Files.exists(marker)) {
            List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
            String copyName = value(lines, "copy ");
            String asideName = value(lines, "aside ");
            if (lines.isEmpty() || !lines.get(0).equals(HEADER) || copyName == null || asideName == null
                    || !lines.get(lines.size() - 1).equals("end")) {
                throw new IllegalStateException(marker + " is not a marker logpipe wrote: check " + dir
                        + " by hand (the original journal's files are in a damaged-* directory or still in " + dir
                        + ", the repaired copy's in a repair-*.tmp directory or already in " + dir + ")");
            }
            List<String> originals = new ArrayList<>();
            for (String l : lines) {
                if (l.startsWith("original ")) {
                    originals.add(l.substring("original ".length()));
                }
            }
            finish(dir, dir.resolve(copyName), dir.resolve(asideName), originals, lockFileName, Step.NONE);
            done = "finished an interrupted in-place repair of " + dir + ": the repaired journal is in place, the"
                    + " damaged one in " + dir.resolve(asideName);
        }
        Files.deleteIfExists(dir.resolve(MARKER + ".tmp")); // a marker never completed: nothing had moved
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, COPY_PREFIX + "*" + COPY_SUFFIX)) {
            for (Path p : ds) {
                if (Files.isDirectory(p)) { // the swap above, if any, has deleted its copy
                    stale.add(p);
                }
            }
        }
        for (Path p : stale) {
            deleteTree(p);
        }
        if (!stale.isEmpty()) {
            String s = "deleted the copy of an in-place repair that stopped before it swapped anything ("
                    + stale.get(0).getFileName() + (stale.size() > 1 ? " and " + (stale.size() - 1) + " more" : "")
                    + "; the journal in " + dir + " was left as it was)";
            done = done == null ? s : done + "; " + s;
        }
        return Optional.ofNullable(done);
    }

    /**
     * Refuses to read a journal whose in-place repair has not finished swapping files.
     *
     * @throws RepairInterruptedException naming the directory and what finishes it
     */
    public static void refuseIfInterrupted(Path dir) {
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            throw new RepairInterruptedException(marker);
        }
    }

    /** The renames, idempotently; {@code lockFileName}, the copy's own writer lock, is neither moved aside nor in. */
    private static void finish(Path dir, Path copy, Path aside, List<String> originals, String lockFileName, Step step)
            throws IOException {
        Files.createDirectories(aside);
        for (String n : originals) {
            Path from = dir.resolve(n);
            Path to = aside.resolve(n);
            if (Files.exists(from, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.exists(to,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.move(from, to);
                step.reached("aside " + n);
            }
        }
        syncDirectory(aside);
        syncDirectory(dir);
        step.reached("originals aside");
        if (Files.isDirectory(copy)) {
            List<Path> in = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(copy)) {
                for (Path p : ds) {
                    if (!p.getFileName().toString().equals(lockFileName)) {
                        in.add(p);
                    }
                }
            }
            in.sort(null);
            for (Path p : in) {
                Files.move(p, dir.resolve(p.getFileName().toString()));
                step.reached("in " + p.getFileName());
            }
            syncDirectory(dir);
            step.reached("copy in");
            Files.deleteIfExists(copy.resolve(lockFileName));
            Files.delete(copy);
        }
        Files.delete(dir.resolve(MARKER));
        syncDirectory(dir);
    }

    private static void writeMarker(Path dir, Path copy, Path aside, List<String> originals) throws IOException {
        Path tmp = dir.resolve(MARKER + ".tmp");
        try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            w.write(HEADER + "\n");
            w.write("copy " + copy.getFileName() + "\n");
            w.write("aside " + aside.getFileName() + "\n");
            for (String n : originals) {
                w.write("original " + n + "\n");
            }
            w.write("end\n");
        }
        syncFile(tmp);
        Files.move(tmp, dir.resolve(MARKER), StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(dir);
    }

    private static String value(List<String> lines, String key) {
        for (String l : lines) {
            if (l.startsWith(key)) {
                String v = l.substring(key.length());
                // a name inside the journal directory, nothing that reaches out of it
                return v.isEmpty() || v.contains("/") || v.contains("\\") || v.equals("..") ? null : v;
            }
        }
        return null;
    }

    /** Syncs every file and directory under {@code root}, and {@code root}. */
    public static void syncTree(Path root) throws IOException {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    dirs.add(p);
                } else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    syncFile(p);
                }
            }
        }
        for (int i = dirs.size() - 1; i >= 0; i--) {
            syncDirectory(dirs.get(i));
        }
    }

    private static void syncFile(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Makes the directory's entries (renames, new files) durable; a no-op where the OS cannot open a directory. */
    private static void syncDirectory(Path d) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(d, StandardOpenOption.READ);
        } catch (IOException e) {
            return; // not on every OS (Windows): renames there are as durable as the file system makes them
        }
        try (ch) {
            ch.force(true);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = new ArrayList<>(s.toList());
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Files.deleteIfExists(all.get(i));
        }
    }
}
