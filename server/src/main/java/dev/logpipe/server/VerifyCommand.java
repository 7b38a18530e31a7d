package dev.logpipe.server;

import dev.logpipe.server.internal.config.Units;
import dev.logpipe.filesink.JournalVerifier;
import dev.logpipe.filesink.VerifyReport;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe verify}: reads every segment of a journal byte by byte, read-only (safe while a
 * server writes it), checks every record's checksum, and prints each segment with its records and
 * size, the index and time range, and every damage found with where it is and which indexes it
 * cost; exits 1 when it finds damage.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Check a journal: count its records, show its index and time range, report damage.",
        description = {"",
                "Reads every segment byte by byte and checks every record's checksum (read-only;",
                "safe while 'logpipe serve' writes the journal). Damage does not stop it: what",
                "follows is read and counted. Each problem is listed with its segment, byte",
                "position and the indexes lost. 'logpipe repair' writes what is readable to a",
                "sound journal.",
                "Exit status: 0 sound, 1 damage found, 2 usage error (e.g. no journal there).",
                ""})
public final class VerifyCommand implements Callable<Integer> {

    /** How many damage entries to print before summarizing the rest. */
    static final int SHOWN = 20;

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", defaultValue = "./data", description = "journal directory")
    Path data;

    @Override
    public Integer call() {
        if (!Files.isDirectory(data)) {
            throw CliException.noJournalDirectory(data, "pass --data DIR");
        }
        long start = System.nanoTime();
        VerifyReport r = verify(data);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "journal   %s%n", data.toAbsolutePath().normalize());
        printReport(out, r);
        if (r.ok()) {
            out.printf(Locale.ROOT, "ok: no damage found (checked in %s)%n", Units.formatDuration(
                    Duration.ofMillis(Math.max(1, took.toMillis()))));
            out.flush();
            return 0;
        }
        printDamage(out, r);
        out.flush();
        spec.commandLine().getErr().println("logpipe verify: the journal at " + data + " is damaged (see above);"
                + " readers skip the damage with a note and read on, and the writer never appends behind it;"
                + " 'logpipe repair --data " + data + " --out NEW_DIR' writes every readable record to a sound journal");
        return CliException.FAILURE;
    }

    /** Runs the verifier with the house errors: not a journal is a usage error, an unreadable one a failure. */
    static VerifyReport verify(Path data) {
        try {
            return JournalVerifier.verify(data);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("no journal at " + data + ": " + e.getMessage() + "; pass --data DIR");
        } catch (IllegalStateException | UncheckedIOException e) {
            throw CliException.failure("cannot read the journal at " + data + ": " + e.getMessage(), e);
        }
    }

    /** The segments, counts, ranges and notes of a report. */
    static void printReport(PrintWriter out, VerifyReport r) {
        out.printf(Locale.ROOT, "segments  %,d (%s)%n", r.segments(), Units.formatBytes(r.segmentBytes()));
        int width = 0;
        for (VerifyReport.SegmentInfo s : r.segmentList()) {
            width = Math.max(width, s.file().length());
        }
        for (VerifyReport.SegmentInfo s : r.segmentList()) {
            out.printf(Locale.ROOT, "  %-" + width + "s  %,9d records  %9s%s%n", s.file(), s.records(),
                    Units.formatBytes(s.usedBytes()),
                    s.records() > 0 ? "  index " + s.firstIndex() + " .. " + s.lastIndex() : "");
        }
        out.printf(Locale.ROOT, "records   %,d%n", r.records());
        if (r.records() > 0) {
            out.printf(Locale.ROOT, "index     %d .. %d%n", r.firstIndex(), r.lastIndex());
            out.printf(Locale.ROOT, "received  %s .. %s%n", r.firstReceiveTime(), r.lastReceiveTime());
        }
        if (r.outOfOrderTimes() > 0) {
            out.printf(Locale.ROOT, "note      %,d records were received earlier than the record before them"
                    + " (not damage; --since lands approximately around them)%n", r.outOfOrderTimes());
        }
        for (String note : r.notes()) {
            out.printf(Locale.ROOT, "note      %s%n", note);
        }
    }

    /** The damage of a report, at most {@link #SHOWN} lines and a count of the rest. */
    static void printDamage(PrintWriter out, VerifyReport r) {
        out.printf(Locale.ROOT, "DAMAGED: %,d problem%s found%n", r.damage().size(), r.damage().size() == 1 ? "" : "s");
        int shown = 0;
        for (VerifyReport.Damage d : r.damage()) {
            if (shown++ == SHOWN) {
                out.printf(Locale.ROOT, "  ... and %,d more%n", r.damage().size() - SHOWN);
                break;
            }
            out.println("  " + d.describe());
        }
    }
}
