package dev.logpipe.it.support;

import dev.logpipe.filesink.JournalReader;
import dev.logpipe.filesink.ReadRecord;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a whole journal with {@link JournalReader} and groups the records by the producer marker
 * ({@code P<producer> S<seq>}) in their message, in journal order, so that tests can assert
 * exactly-once delivery and per-producer order.
 *
 * <p>Threading: confined.
 */
public final class JournalScan {

    private static final Pattern MARKER = Pattern.compile("(?:^|\\s)P(\\S+) S(\\d+)(?:\\s|$)");

    private final Map<String, LongList> seqs = new HashMap<>();
    private final Map<String, LongList> indexes = new HashMap<>();
    private final List<String> damaged = new ArrayList<>();
    private final List<ReadRecord> unmarked = new ArrayList<>();
    private final List<ReadRecord> incomplete = new ArrayList<>();
    private long records;
    private long lastIndex = -1;
    private boolean indexesIncreasing = true;

    private final boolean lenient;

    private JournalScan(boolean lenient) {
        this.lenient = lenient;
    }

    /**
     * Reads every record of the journal in {@code dir} from its start (the writer must be stopped or
     * quiet). A record counts for its producer only if its message is the whole message the producer
     * sent ({@link WireFrames#message}); the others are {@link #incomplete()}.
     */
    public static JournalScan read(Path dir) {
        return read(dir, false);
    }

    /** Like {@link #read(Path)}, but any record with a marker counts for its producer (for frames stored raw). */
    public static JournalScan readLenient(Path dir) {
        return read(dir, true);
    }

    private static JournalScan read(Path dir, boolean lenient) {
        JournalScan scan = new JournalScan(lenient);
        try (JournalReader reader = JournalReader.builder(dir).fromStart().build()) {
            while (true) {
                ReadRecord rr;
                try {
                    rr = reader.next();
                } catch (IllegalStateException e) {
                    // a damaged record: the reader moves past it; keep reading, but remember
                    scan.damaged.add(String.valueOf(e.getMessage()));
                    if (scan.damaged.size() > 10_000) {
                        break;
                    }
                    continue;
                }
                if (rr == null) {
                    break;
                }
                scan.add(rr);
            }
        }
        return scan;
    }

    private void add(ReadRecord rr) {
        records++;
        if (rr.index() <= lastIndex) {
            indexesIncreasing = false;
        }
        lastIndex = rr.index();
        Matcher m = MARKER.matcher(rr.record().message());
        if (!m.find()) {
            if (unmarked.size() < 1000) {
                unmarked.add(rr);
            }
            return;
        }
        long seq = Long.parseLong(m.group(2));
        if (!lenient && !rr.record().message().contains(WireFrames.message(m.group(1), seq))) {
            // a fragment of a frame (its marker may even be cut: "P7 S75" of "P7 S7598"): kept aside
            if (incomplete.size() < 1000) {
                incomplete.add(rr);
            }
            return;
        }
        seqs.computeIfAbsent(m.group(1), k -> new LongList()).add(seq);
        indexes.computeIfAbsent(m.group(1), k -> new LongList()).add(rr.index());
    }

    /** Records read (damaged ones not counted). */
    public long records() {
        return records;
    }

    /** Messages of the damaged records met (empty in a sound journal). */
    public List<String> damaged() {
        return damaged;
    }

    /** Records without a producer marker (at most 1000 kept). */
    public List<ReadRecord> unmarked() {
        return unmarked;
    }

    /**
     * Records with a producer marker whose message is not the whole message that producer sends
     * ({@link WireFrames#message}): cut or stored raw (at most 1000 kept; none when lenient). Not
     * counted for their producer.
     */
    public List<ReadRecord> incomplete() {
        return incomplete;
    }

    /** Whether journal indexes strictly increased in reading order. */
    public boolean indexesIncreasing() {
        return indexesIncreasing;
    }

    /** The producers seen. */
    public java.util.Set<String> producers() {
        return seqs.keySet();
    }

    /** The sequence numbers of {@code producer}'s records, in journal order. */
    public long[] seqs(String producer) {
        LongList l = seqs.get(producer);
        return l == null ? new long[0] : l.toArray();
    }

    /** The journal indexes of {@code producer}'s records, in journal order. */
    public long[] indexes(String producer) {
        LongList l = indexes.get(producer);
        return l == null ? new long[0] : l.toArray();
    }

    /**
     * Checks that {@code producer}'s records in the journal are exactly {@code 0 .. n-1} in order
     * (no loss inside, no duplicate, no reordering) and returns {@code n}; the message says where
     * it first goes wrong.
     */
    public long assertContiguousFromZero(String producer) {
        long[] s = seqs(producer);
        for (int i = 0; i < s.length; i++) {
            if (s[i] != i) {
                String what = s[i] < i ? "duplicate or out of order" : "gap (lost records)";
                throw new AssertionError("producer " + producer + ": journal position " + i + " holds seq " + s[i]
                        + " (" + what + "); around it: " + Arrays.toString(Arrays.copyOfRange(s, Math.max(0, i - 3),
                        Math.min(s.length, i + 4))) + "; " + s.length + " records of this producer in the journal");
            }
        }
        return s.length;
    }

    /** Checks that {@code producer}'s records are exactly {@code 0 .. expected-1}, each once, in order. */
    public void assertExactly(String producer, long expected) {
        long n = assertContiguousFromZero(producer);
        if (n != expected) {
            throw new AssertionError("producer " + producer + ": journal holds seq 0.." + (n - 1) + " (" + n
                    + " records), expected " + expected + (n < expected ? " (records lost)" : " (extra records)"));
        }
    }

    @Override
    public String toString() {
        return "JournalScan[records=" + records + ", producers=" + seqs.size() + ", damaged=" + damaged.size()
                + ", unmarked=" + unmarked.size() + "]";
    }

    /** A growable array of longs, to keep 500k sequence numbers without boxing. */
    private static final class LongList {
        private long[] a = new long[1024];
        private int n;

        void add(long v) {
            if (n == a.length) {
                a = Arrays.copyOf(a, n * 2);
            }
            a[n++] = v;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
