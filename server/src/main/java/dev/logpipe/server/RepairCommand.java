package dev.logpipe.server;

import dev.logpipe.filesink.JournalLockedException;
import dev.logpipe.filesink.JournalRepair;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe repair}: writes every readable record of a (damaged) journal to a new sound journal
 * and says what was dropped, where, and how indexes map. The original is only read unless
 * {@code --in-place} is given.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "repair",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Write every readable record of a damaged journal to a sound one.",
        description = {"",
                "Reads the journal at --data byte by byte, as 'logpipe verify' does, and writes",
                "each record that is readable and whose checksum matches to a new journal, in",
                "order, with its receive time and every field. Prints what was dropped and",
                "where, and how the old indexes map to the new ones (records lost to damage leave",
                "no gap), then checks the new journal. The original is never changed unless",
                "--in-place is given: then the repaired journal replaces it, and the original",
                "files (segments, metadata, named readers' positions, repair maps) are moved to",
                "DIR/damaged-TIME/ first. The repaired journal keeps the index map",
                "(DIR/repairs/NNNNNN.map); named readers' positions are translated by it, and",
                "'logpipe forward kafka' translates its own when it next starts. Stop readers",
                "first: an open 'tail --name' makes --in-place refuse. A crash during",
                "--in-place leaves one journal: the copy is synced, and a marker",
                "(DIR/repair-in-progress) written, before the first file moves; the next",
                "'serve' start or --in-place repair finishes a swap that stopped, and",
                "readers refuse the directory until then. Exit status: 0 the result",
                "verifies clean, 1 failure, 2 usage error.",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {"  logpipe repair --data ./data --out ./data-repaired",
                "  logpipe repair --data ./data --in-place        (stop 'logpipe serve' first)"})
public final class RepairCommand implements Callable<Integer> {

    /** How many index runs to print before summarizing the rest. */
    private static final int SHOWN_RUNS = 20;

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", defaultValue = "./data", description = "the journal to repair")
    Path data;

    @Option(names = "--out", paramLabel = "DIR2", description = "write the repaired journal here (a new or empty directory)")
    Path out;

    @Option(names = "--in-place", description = "replace the journal at --data with the repaired one (the originals are moved aside first)")
    boolean inPlace;

    @Override
    public Integer call() {
        if (!Files.isDirectory(data)) {
            throw CliException.noJournalDirectory(data, "pass --data DIR");
        }
        if (out == null && !inPlace) {
            throw CliException.usage("say where the repaired journal goes: --out DIR2 (the journal at " + data
                    + " stays as it is) or --in-place");
        }
        if (out != null && inPlace) {
            throw CliException.usage("--out and --in-place do not go together; drop one");
        }
        JournalRepair.Report r;
        try {
            r = inPlace ? JournalRepair.inPlace(data) : JournalRepair.copy(data, out);
        } catch (JournalLockedException e) {
            throw CliException.usage(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        } catch (IllegalStateException | UncheckedIOException e) {
            throw CliException.failure("repairing " + data + " failed: " + e.getMessage(), e);
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "read      %s%n", r.source().toAbsolutePath().normalize());
        VerifyCommand.printReport(o, r.before());
        if (r.before().ok()) {
            o.println("no damage found: every record was copied");
        } else {
            o.printf(Locale.ROOT, "dropped:  %,d problem%s (the records there were not readable)%n",
                    r.before().damage().size(), r.before().damage().size() == 1 ? "" : "s");
            int shown = 0;
            for (var d : r.before().damage()) {
                if (shown++ == VerifyCommand.SHOWN) {
                    o.printf(Locale.ROOT, "  ... and %,d more (logpipe verify lists them all)%n",
                            r.before().damage().size() - VerifyCommand.SHOWN);
                    break;
                }
                o.println("  " + d.describe());
            }
        }
        o.printf(Locale.ROOT, "wrote     %s: %,d records in %,d segment%s%n", r.target().toAbsolutePath().normalize(),
                r.records(), r.after().segments(), r.after().segments() == 1 ? "" : "s");
        o.println("indexes   old .. old -> new .. new");
        int shown = 0;
        for (JournalRepair.IndexRange m : r.indexMap()) {
            if (shown++ == SHOWN_RUNS) {
                o.printf(Locale.ROOT, "  ... and %,d more runs%n", r.indexMap().size() - SHOWN_RUNS);
                break;
            }
            o.printf(Locale.ROOT, "  %d .. %d -> %d .. %d%s%n", m.sourceFirst(), m.sourceLast(), m.targetFirst(),
                    m.targetLast(), m.sourceFirst() == m.targetFirst() ? " (unchanged)" : "");
        }
        for (JournalRepair.ReaderPosition p : r.readers()) {
            if (p.damaged()) {
                o.printf(Locale.ROOT, "reader    %s: its position file is damaged; not carried over (it starts afresh)%n",
                        p.name());
            } else {
                o.printf(Locale.ROOT, "reader    %s: position %d -> %d%n", p.name(), p.before(), p.after());
            }
        }
        if (r.indexMap().stream().anyMatch(m -> m.sourceFirst() != m.targetFirst())) {
            o.printf(Locale.ROOT, "note      indexes moved down (the runs above). The map is kept in %s: named readers'"
                    + " positions were translated by it, and logpipe forward kafka translates the position it keeps in"
                    + " Kafka by it when it next starts%n", r.mapFile().toAbsolutePath().normalize());
        }
        if (r.movedAside() != null) {
            o.printf(Locale.ROOT, "moved     the original files to %s%n", r.movedAside());
        }
        if (!r.after().ok()) {
            o.flush();
            VerifyCommand.printDamage(o, r.after());
            o.flush();
            throw CliException.failure("the repaired journal at " + r.target() + " does not verify clean (see above);"
                    + " this should not happen: keep both directories and report it");
        }
        o.printf(Locale.ROOT, "ok: %s verifies clean%n", r.target().toAbsolutePath().normalize());
        o.flush();
        return 0;
    }
}
