package dev.logpipe.collector.cli;

import dev.logpipe.collector.internal.config.Units;
import dev.logpipe.filesink.JournalVerifier;
import dev.logpipe.filesink.VerifyReport;
import java.io.PrintWriter;
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
 * {@code logpipe verify}: walks a journal read-only (safe while a server writes it) and prints its
 * counts, index and time range, and any damage; exits 1 when it finds damage.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "verify",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Check a journal: count its records, show its index and time range, report damage.",
        description = {"",
                "Reads every record (read-only; safe while 'logpipe serve' writes the journal).",
                "Exit status: 0 sound, 1 damage found, 2 usage error (e.g. no journal there).",
                ""})
public final class VerifyCommand implements Callable<Integer> {

    /** How many damage entries to print before summarizing the rest. */
    private static final int SHOWN = 20;

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", defaultValue = "./data", description = "journal directory")
    Path data;

    @Override
    public Integer call() {
        if (!Files.isDirectory(data)) {
            throw CliException.usage("no journal at " + data + " (directory not found); pass --data DIR");
        }
        long start = System.nanoTime();
        VerifyReport r;
        try {
            r = JournalVerifier.verify(data);
        } catch (IllegalArgumentException e) {
            throw CliException.usage("no journal at " + data + ": " + e.getMessage() + "; pass --data DIR");
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "journal   %s%n", data.toAbsolutePath().normalize());
        out.printf(Locale.ROOT, "segments  %,d (%s)%n", r.segments(), Units.formatBytes(r.segmentBytes()));
        out.printf(Locale.ROOT, "records   %,d%n", r.records());
        if (r.records() > 0) {
            out.printf(Locale.ROOT, "index     %d .. %d%n", r.firstIndex(), r.lastIndex());
            out.printf(Locale.ROOT, "received  %s .. %s%n", r.firstReceiveTime(), r.lastReceiveTime());
        }
        if (r.outOfOrderTimes() > 0) {
            out.printf(Locale.ROOT, "note      %,d records were received earlier than the record before them"
                    + " (not damage; --since lands approximately around them)%n", r.outOfOrderTimes());
        }
        if (r.ok()) {
            out.printf(Locale.ROOT, "ok: no damage found (checked in %s)%n", Units.formatDuration(
                    Duration.ofMillis(Math.max(1, took.toMillis()))));
            out.flush();
            return 0;
        }
        out.printf(Locale.ROOT, "DAMAGED: %,d problem%s found%n", r.damage().size(), r.damage().size() == 1 ? "" : "s");
        int shown = 0;
        for (VerifyReport.Damage d : r.damage()) {
            if (shown++ == SHOWN) {
                out.printf(Locale.ROOT, "  ... and %,d more%n", r.damage().size() - SHOWN);
                break;
            }
            out.println("  " + (d.index() >= 0 ? "index " + d.index() + ": " : "") + d.problem());
        }
        out.flush();
        spec.commandLine().getErr().println("logpipe verify: the journal at " + data + " is damaged (see above);"
                + " readers skip damaged records, and the writer continues after the last complete one");
        return CliException.FAILURE;
    }
}
