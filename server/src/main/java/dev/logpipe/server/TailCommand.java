package dev.logpipe.server;

import dev.logpipe.server.internal.config.Units;
import dev.logpipe.filesink.DamagedPositionException;
import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.ReaderInUseException;
import dev.logpipe.filesink.RepairInterruptedException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code logpipe tail}: reads the journal (read-only, from any process), filters and prints
 * records as aligned text or JSON lines, and optionally follows new ones.
 *
 * <p>Threading: confined to the thread that executes the command.
 */
@Command(name = "tail",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        showDefaultValues = true,
        header = "Print records from the journal; follow new ones with -f.",
        description = {"",
                "Without a start option it prints the last 10 records, like tail(1). With",
                "filters, -n counts matching records (the journal is then read from the",
                "start). --since finds records by receive time; the output shows event",
                "times in UTC. Reads the journal read-only, also while serve writes it.",
                ""},
        footerHeading = "%nExamples:%n",
        footer = {"  logpipe tail -f                         the last 10 records, then follow",
                "  logpipe tail --since 10m --level warn   warnings and worse, last 10 minutes",
                "  logpipe tail --since 2026-11-25T17:00:00Z --count   records since then",
                "  logpipe tail --from-start --format json | jq .message",
                "  logpipe tail --from-start --service billing --grep declined",
                "  logpipe tail --name audit --from-start   first run: all; later: what is new"})
public final class TailCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format { text, json }

    /** When to color the level. */
    enum ColorMode { auto, always, never }

    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--data"}, paramLabel = "DIR", defaultValue = "./data", description = "journal directory")
    Path data;

    @Option(names = {"-f", "--follow"}, description = "keep running and print new records as they are written")
    boolean follow;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Start start;

    /** Where reading starts; at most one. */
    static final class Start {
        @Option(names = "--from-start", required = true, description = "start at the first record in the journal")
        boolean fromStart;

        @Option(names = "--since", required = true, paramLabel = "WHEN",
                description = "start at records received since WHEN: a duration ago (10m, 2h, 7d) or an RFC 3339 time")
        String since;

        @Option(names = "--index", required = true, paramLabel = "N", description = "start at the record with journal index N")
        Long index;

        @Option(names = {"-n", "--last"}, required = true, paramLabel = "N",
                description = "start with the last N (matching) records (default: 10; with --count: the whole journal)")
        Long last;
    }

    @Option(names = "--level", paramLabel = "LEVEL",
            description = "only records at LEVEL or more severe: trace, debug, info, warn, error, fatal;"
                    + " a record without a level counts as trace (the lowest)")
    String level;

    @Option(names = "--name", paramLabel = "NAME",
            description = "a named reader: resume after the last record the previous 'tail --name NAME' read"
                    + " (the start options apply to its first run only); retention keeps what it has not read;"
                    + " one 'tail --name NAME' at a time")
    String name;

    @Option(names = "--service", paramLabel = "NAME", description = "only records from this service (exact match)")
    String service;

    @Option(names = "--host", paramLabel = "NAME", description = "only records from this host (exact match)")
    String host;

    @Option(names = "--grep", paramLabel = "REGEX", description = "only records whose message or a field value matches REGEX (Java syntax)")
    String grep;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (aligned, readable) or json (one object per line, every field)")
    Format format;

    @Option(names = "--count", description = "print only the number of matching records (not with --follow); with --name, those new for the reader, which stays where it was")
    boolean count;

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "color the level: auto (when stdout is a terminal and NO_COLOR is unset), always or never")
    ColorMode color;

    /** The clock for --since; tests fix it. */
    Clock clock = Clock.systemUTC();

    /** Whether stdout is a terminal; tests fix it. */
    boolean stdoutIsTerminal = System.console() != null;

    private Level minLevel;
    private Pattern pattern;

    @Override
    public Integer call() throws InterruptedException {
        validate();
        if (!Files.isDirectory(data)) {
            throw CliException.noJournalDirectory(data, "pass --data DIR, or start `logpipe serve` first");
        }
        PrintWriter out = spec.commandLine().getOut();
        boolean filtering = minLevel != null || service != null || host != null || pattern != null;
        JournalReader.Builder b = JournalReader.builder(data);
        // --count with --name counts what is new for the reader without reading it for the reader: the
        // position stays where it was (it used to move to the end, so the reader then skipped all it counted)
        long countAfter = name != null && count ? countedReaderPosition() : -1;
        if (name != null && !count) {
            b.named(name);
        }
        long lastN = -1;
        if (countAfter >= 0) {
            b.fromIndex(countAfter);
        } else if (start == null && count) {
            b.fromStart(); // --count alone counts the whole journal
        } else if (start == null || start.last != null) {
            lastN = start == null ? 10 : start.last;
            if (filtering || count) {
                b.fromStart(); // the last N *matching* records: only a scan can tell which they are
            } else {
                b.fromLast(lastN);
                lastN = -1;
            }
        } else if (start.fromStart) {
            b.fromStart();
        } else if (start.index != null) {
            b.fromIndex(start.index);
        } else {
            b.fromTime(parseSince(start.since));
        }
        RecordFormatter fmt = new RecordFormatter(useColor());
        try (JournalReader reader = open(b)) {
            long resumedAfter = countAfter >= 0 ? countAfter : reader.resumedAfter();
            if (resumedAfter >= 0) {
                // a named reader continues where it stopped: every record after that, whatever -n says
                lastN = -1;
                if (start != null) {
                    spec.commandLine().getErr().println("logpipe tail: reader '" + name + "' resumes after index "
                            + resumedAfter + "; the start option applies only to its first run"
                            + " (delete " + data.resolve("readers").resolve(name + ".pos") + " to start it afresh)");
                }
            }
            if (count) {
                long n = 0;
                for (ReadRecord rr; (rr = next(reader)) != null; ) {
                    if (rr.index() <= countAfter) {
                        continue; // the reader's last record: it resumes after it
                    }
                    if (matches(rr.record())) {
                        n++;
                    }
                }
                out.println(lastN >= 0 ? Math.min(n, lastN) : n);
                out.flush();
                return 0;
            }
            if (lastN >= 0) {
                ArrayDeque<ReadRecord> ring = new ArrayDeque<>();
                for (ReadRecord rr; (rr = next(reader)) != null; ) {
                    if (lastN > 0 && matches(rr.record())) {
                        if (ring.size() == lastN) {
                            ring.removeFirst();
                        }
                        ring.addLast(rr);
                    }
                }
                for (ReadRecord rr : ring) {
                    print(out, fmt, rr);
                }
            } else {
                long printed = 0;
                for (ReadRecord rr; (rr = next(reader)) != null; ) {
                    if (matches(rr.record())) {
                        print(out, fmt, rr);
                        if (++printed % 4096 == 0 && out.checkError()) {
                            return 0; // the reader of our output went away (| head): done, quietly
                        }
                    }
                }
            }
            if (out.checkError()) {
                return 0;
            }
            while (follow) {
                ReadRecord rr = next(reader);
                if (rr == null) {
                    if (out.checkError()) { // caught up: flush, and see whether anyone still reads
                        return 0;
                    }
                    rr = poll(reader);
                    if (rr == null) {
                        continue;
                    }
                }
                if (matches(rr.record())) {
                    print(out, fmt, rr);
                }
            }
            out.flush();
        }
        return 0;
    }

    private void validate() {
        if (count && follow) {
            throw new ParameterException(spec.commandLine(), "--count and --follow do not go together; drop one");
        }
        if (start != null && start.last != null && start.last < 0) {
            throw new ParameterException(spec.commandLine(), "-n/--last must be 0 or more, was " + start.last);
        }
        if (start != null && start.index != null && start.index < 0) {
            throw new ParameterException(spec.commandLine(), "--index must be 0 or more, was " + start.index);
        }
        if (level != null) {
            minLevel = Level.parse(level);
            if (minLevel == null || minLevel == Level.UNSET) {
                throw new ParameterException(spec.commandLine(),
                        "'" + level + "' is not a level; use trace, debug, info, warn, error or fatal");
            }
        }
        if (name != null) {
            try {
                JournalReader.builder(data).named(name);
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--name: '" + name + "' is not a reader name; use 1-100"
                        + " letters, digits, '.', '_' or '-', not starting with '.'");
            }
        }
        if (grep != null) {
            try {
                pattern = Pattern.compile(grep);
            } catch (PatternSyntaxException e) {
                throw new ParameterException(spec.commandLine(), "--grep: '" + grep + "' is not a valid regex: "
                        + e.getDescription() + " near index " + e.getIndex());
            }
        }
        if (start != null && start.since != null) {
            parseSince(start.since);
        }
    }

    private Instant parseSince(String text) {
        try {
            return clock.instant().minus(Units.parseDuration(text));
        } catch (IllegalArgumentException notADuration) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e) {
                if (!text.isEmpty() && Character.isDigit(text.charAt(0)) && text.indexOf('-') < 0 && text.indexOf(':') < 0) {
                    // a duration with a wrong unit (10M): its own message says what to write
                    throw new ParameterException(spec.commandLine(), "--since: " + notADuration.getMessage());
                }
                throw new ParameterException(spec.commandLine(), "--since: '" + text
                        + "' is not a time; use a duration ago such as 10m or 2h, or an RFC 3339 time such as 2026-11-25T17:00:00Z");
            }
        }
    }

    /** The saved position of reader {@link #name} for --count, -1 if it has none yet (its start options apply). */
    private long countedReaderPosition() {
        try {
            return JournalReader.savedPosition(data, name).orElse(-1);
        } catch (DamagedPositionException e) {
            throw CliException.failure("reader '" + name + "': " + e.getMessage(), e);
        }
    }

    private JournalReader open(JournalReader.Builder b) {
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            throw CliException.usage("cannot read a journal at " + data + ": " + e.getMessage() + "; pass --data DIR");
        } catch (DamagedPositionException e) {
            throw CliException.failure("reader '" + name + "': " + e.getMessage(), e);
        } catch (ReaderInUseException | RepairInterruptedException e) {
            throw CliException.failure(e.getMessage(), e);
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw CliException.failure("cannot read the journal at " + data + ": " + e.getMessage()
                    + "; run `logpipe verify --data " + data + "`", e);
        }
    }

    /** The next record now, skipping (and reporting) a damaged one rather than stopping. */
    private ReadRecord next(JournalReader reader) {
        while (true) {
            try {
                return reader.next();
            } catch (IllegalStateException damaged) {
                noteDamage(damaged);
            }
        }
    }

    /** Waits a little for the next record, skipping (and reporting) a damaged one. */
    private ReadRecord poll(JournalReader reader) throws InterruptedException {
        try {
            return reader.poll(Duration.ofMillis(250));
        } catch (IllegalStateException damaged) {
            noteDamage(damaged);
            return null;
        }
    }

    /**
     * One note on stderr per damaged region the reader stepped over: which segment, where, how many
     * bytes, which indexes (the reader's message says so), and the verify hint once.
     */
    private void noteDamage(IllegalStateException damaged) {
        spec.commandLine().getErr().println("logpipe tail: " + damaged.getMessage()
                + "; run `logpipe verify` for details");
    }

    private boolean useColor() {
        return switch (color) {
            case always -> true;
            case never -> false;
            case auto -> format == Format.text && stdoutIsTerminal && System.getenv("NO_COLOR") == null
                    && !"dumb".equals(System.getenv("TERM"));
        };
    }

    private boolean matches(LogRecord r) {
        // A record without a level (a plain text line) counts as the lowest level, trace: only
        // --level trace, which asks for everything, shows it.
        if (minLevel != null && !(r.level() == Level.UNSET ? Level.TRACE : r.level()).atLeast(minLevel)) {
            return false;
        }
        if (service != null && !service.equals(r.service())) {
            return false;
        }
        if (host != null && !host.equals(r.host())) {
            return false;
        }
        if (pattern != null) {
            if (pattern.matcher(r.message()).find()) {
                return true;
            }
            for (int i = 0; i < r.fieldCount(); i++) {
                if (pattern.matcher(r.fieldValue(i).text()).find()) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    private void print(PrintWriter out, RecordFormatter fmt, ReadRecord rr) {
        out.println(format == Format.json ? fmt.json(rr) : fmt.text(rr));
    }
}
