package dev.logpipe.filesink;

import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One log record: what a service said, when, and where it came from. This is what logpipe stores;
 * the journal gives each record an index when it is appended (see the reader API), which is not
 * part of the record itself.
 *
 * <p>Absent text values are empty strings, never null. Times are nanoseconds since the Unix epoch.
 * When a sender gives no event time, the event time is the receive time.
 *
 * <p>Threading: immutable, thread-safe. The field map is unmodifiable and keeps insertion order.
 *
 * <p>Fields are held as two arrays (names, values) in insertion order, not as a map: the journal
 * writer walks them for every record it stores, and a walk over arrays is a fraction of the cost of
 * an iteration over a map (measured: {@code bench/RESULTS.md}, writer profile). {@link #fieldCount()},
 * {@link #fieldName(int)} and {@link #fieldValue(int)} read them without allocating; {@link #fields()}
 * is a map view built on first use.
 *
 * <p>Example:
 * <pre>{@code
 * LogRecord r = LogRecord.builder()
 *     .level(Level.WARN).service("billing").message("card declined")
 *     .field("customer", "c-42").fieldJson("attempt", "3")
 *     .build();
 * }</pre>
 */
public final class LogRecord {

    private static final String[] NO_NAMES = new String[0];
    private static final FieldValue[] NO_VALUES = new FieldValue[0];

    private final long eventTimeNanos;
    private final long receiveTimeNanos;
    private final Level level;
    private final String host;
    private final String service;
    private final String message;
    /** Field names in insertion order, unique; never shared with a builder. */
    private final String[] fieldNames;
    /** {@code fieldValues[i]} is the value of {@code fieldNames[i]}. */
    private final FieldValue[] fieldValues;
    /** The map view of the fields, made on first use. Racy single-check: an unmodifiable map publishes
     * safely through its final field, and two threads that both build it build equal maps. */
    private Map<String, FieldValue> fieldMap;
    private final String source;
    private final SourceFormat format;
    private final SyslogInfo syslog;
    private final int flags;
    /** Cached: the writer's batches sum it. */
    private final int estimatedBytes;
    /** Cached: channels weigh a record by it on send and again on receive. */
    private final int heapBytes;

    private LogRecord(Builder b) {
        this.receiveTimeNanos = b.receiveTimeNanos != Long.MIN_VALUE ? b.receiveTimeNanos : nowNanos();
        this.eventTimeNanos = b.eventTimeNanos != Long.MIN_VALUE ? b.eventTimeNanos : this.receiveTimeNanos;
        this.level = b.level;
        this.host = b.host;
        this.service = b.service;
        this.message = b.message;
        if (b.fieldCount == 0) {
            this.fieldNames = NO_NAMES;
            this.fieldValues = NO_VALUES;
        } else {
            this.fieldNames = Arrays.copyOf(b.fieldNames, b.fieldCount);
            this.fieldValues = Arrays.copyOf(b.fieldValues, b.fieldCount);
        }
        this.source = b.source;
        this.format = b.format;
        this.syslog = b.syslog;
        this.flags = b.flags;
        this.estimatedBytes = computeEstimatedBytes();
        this.heapBytes = computeHeapBytes();
    }

    // A copy with source, format and receive time replaced; the field arrays are immutable and shared.
    private LogRecord(LogRecord r, String source, SourceFormat format, long receiveTimeNanos) {
        this.receiveTimeNanos = receiveTimeNanos;
        this.eventTimeNanos = r.eventTimeNanos;
        this.level = r.level;
        this.host = r.host;
        this.service = r.service;
        this.message = r.message;
        this.fieldNames = r.fieldNames;
        this.fieldValues = r.fieldValues;
        this.source = Objects.requireNonNull(source, "source");
        this.format = Objects.requireNonNull(format, "format");
        this.syslog = r.syslog;
        this.flags = r.flags;
        this.estimatedBytes = r.estimatedBytes + source.length() - r.source.length();
        this.heapBytes = r.heapBytes; // the source is not counted: one String for a connection's records
    }

    /**
     * This record as received: the same content with {@code source}, {@code format} and
     * {@code receiveTimeNanos} replaced. Cheaper than {@code toBuilder()...build()}: it shares the
     * fields instead of copying them.
     */
    public LogRecord received(String source, SourceFormat format, long receiveTimeNanos) {
        return new LogRecord(this, source, format, receiveTimeNanos);
    }

    /** A new builder with every field absent; {@code build()} fills the times from the clock. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from every value of this record. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.eventTimeNanos = eventTimeNanos;
        b.receiveTimeNanos = receiveTimeNanos;
        b.level = level;
        b.host = host;
        b.service = service;
        b.message = message;
        for (int i = 0; i < fieldNames.length; i++) {
            b.field(fieldNames[i], fieldValues[i]);
        }
        b.source = source;
        b.format = format;
        b.syslog = syslog;
        b.flags = flags;
        return b;
    }

    /** The current wall-clock time in nanoseconds since the epoch (microsecond precision on most JVMs). */
    public static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** When the event happened, as the sender said, in nanoseconds since the epoch. */
    public long eventTimeNanos() {
        return eventTimeNanos;
    }

    /** When logpipe received the record, in nanoseconds since the epoch. */
    public long receiveTimeNanos() {
        return receiveTimeNanos;
    }

    /** {@link #eventTimeNanos()} as an {@link Instant}. */
    public Instant eventTime() {
        return toInstant(eventTimeNanos);
    }

    /** {@link #receiveTimeNanos()} as an {@link Instant}. */
    public Instant receiveTime() {
        return toInstant(receiveTimeNanos);
    }

    public Level level() {
        return level;
    }

    public String host() {
        return host;
    }

    public String service() {
        return service;
    }

    public String message() {
        return message;
    }

    /** Every structured field, in the order the sender gave them; unmodifiable. */
    public Map<String, FieldValue> fields() {
        Map<String, FieldValue> m = fieldMap;
        if (m == null) {
            if (fieldNames.length == 0) {
                m = Map.of();
            } else {
                LinkedHashMap<String, FieldValue> lhm = new LinkedHashMap<>(fieldNames.length * 2);
                for (int i = 0; i < fieldNames.length; i++) {
                    lhm.put(fieldNames[i], fieldValues[i]);
                }
                m = Collections.unmodifiableMap(lhm);
            }
            fieldMap = m;
        }
        return m;
    }

    /** How many structured fields this record has. */
    public int fieldCount() {
        return fieldNames.length;
    }

    /**
     * The name of field {@code i}, in insertion order.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < fieldCount()}
     */
    public String fieldName(int i) {
        return fieldNames[i];
    }

    /**
     * The value of field {@code i}, in insertion order.
     *
     * @throws IndexOutOfBoundsException unless {@code 0 <= i < fieldCount()}
     */
    public FieldValue fieldValue(int i) {
        return fieldValues[i];
    }

    /** Where the record came from: {@code tcp:ADDR:PORT} for a connection, the emitter's name for the embedded API. */
    public String source() {
        return source;
    }

    public SourceFormat format() {
        return format;
    }

    /** The syslog header fields, or {@code null} if the record was not decoded from syslog. */
    public SyslogInfo syslog() {
        return syslog;
    }

    /** The {@link RecordFlag} bits set on this record. */
    public int flagBits() {
        return flags;
    }

    public boolean hasFlag(RecordFlag flag) {
        return (flags & flag.bit()) != 0;
    }

    /** The flags set on this record, as a new set. */
    public Set<RecordFlag> flags() {
        EnumSet<RecordFlag> set = EnumSet.noneOf(RecordFlag.class);
        for (RecordFlag f : RecordFlag.values()) {
            if (hasFlag(f)) {
                set.add(f);
            }
        }
        return set;
    }

    /**
     * A cheap estimate of this record's size on disk, in bytes: its text lengths plus a fixed
     * overhead; not exact. (Its size in memory: {@link #heapBytes()}.)
     */
    public int estimatedBytes() {
        return estimatedBytes;
    }

    /**
     * A cheap estimate of the Java heap this record takes while it waits in a channel, with the
     * request that carries it: its objects, and its strings at one byte a character (Latin-1; text
     * beyond takes up to twice that). The source is not counted: a connection's or emitter's records
     * share one. Channels bounded in bytes weigh records by it, so such a bound is a bound on heap.
     */
    public int heapBytes() {
        return heapBytes;
    }

    /** A String of {@code s}'s length: object, array header and Latin-1 bytes. */
    private static long stringHeap(String s) {
        return STRING_OVERHEAD + s.length();
    }

    private static final long STRING_OVERHEAD = 40;
    /** The record's own object and its request. */
    private static final long RECORD_OVERHEAD = 72 + 32;

    private int computeHeapBytes() {
        long n = RECORD_OVERHEAD + stringHeap(host) + stringHeap(service) + stringHeap(message);
        if (fieldNames.length > 0) {
            n += 2 * 16; // the two arrays' headers
            for (int i = 0; i < fieldNames.length; i++) {
                // two array slots, the FieldValue, its text and the name
                n += 8 + 24 + stringHeap(fieldNames[i]) + stringHeap(fieldValues[i].text());
            }
        }
        if (syslog != null) {
            n += 32 + stringHeap(syslog.appName()) + stringHeap(syslog.procId()) + stringHeap(syslog.msgId())
                    + stringHeap(syslog.structuredData());
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    private int computeEstimatedBytes() {
        long n = 64L + host.length() + service.length() + message.length() + source.length();
        for (int i = 0; i < fieldNames.length; i++) {
            n += 8 + fieldNames[i].length() + fieldValues[i].text().length();
        }
        if (syslog != null) {
            n += 16 + syslog.appName().length() + syslog.procId().length() + syslog.msgId().length()
                    + syslog.structuredData().length();
        }
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    private static Instant toInstant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof LogRecord r)) {
            return false;
        }
        return eventTimeNanos == r.eventTimeNanos && receiveTimeNanos == r.receiveTimeNanos
                && flags == r.flags && level == r.level && format == r.format
                && host.equals(r.host) && service.equals(r.service) && message.equals(r.message)
                && source.equals(r.source) && Objects.equals(syslog, r.syslog)
                // insertion order is part of a record's identity
                && Arrays.equals(fieldNames, r.fieldNames) && Arrays.equals(fieldValues, r.fieldValues);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventTimeNanos, receiveTimeNanos, level, host, service, message,
                Arrays.hashCode(fieldNames), Arrays.hashCode(fieldValues), source, format, syslog, flags);
    }

    @Override
    public String toString() {
        return "LogRecord{" + eventTime() + ' ' + level + " host=" + host + " service=" + service
                + " msg=" + message + (fieldNames.length == 0 ? "" : " fields=" + fields())
                + " source=" + source + " format=" + format
                + (syslog == null ? "" : " syslog=" + syslog)
                + (flags == 0 ? "" : " flags=" + flags()) + '}';
    }

    /**
     * Builds a {@link LogRecord}. Methods without {@code set}; defaults are resolved in
     * {@link #build()}: times default to the clock, text to empty, level to {@link Level#UNSET},
     * format to {@link SourceFormat#EMBEDDED}.
     *
     * <p>Threading: confined; use one builder from one thread.
     */
    public static final class Builder {
        /** From this many fields on, the builder keeps a name index instead of scanning on each add. */
        private static final int INDEX_FIELDS_FROM = 16;

        private long eventTimeNanos = Long.MIN_VALUE;
        private long receiveTimeNanos = Long.MIN_VALUE;
        private Level level = Level.UNSET;
        private String host = "";
        private String service = "";
        private String message = "";
        /** Fields in insertion order; {@code fieldIndex} maps names to slots once there are many. */
        private String[] fieldNames = NO_NAMES;
        private FieldValue[] fieldValues = NO_VALUES;
        private int fieldCount;
        private HashMap<String, Integer> fieldIndex;
        private String source = "";
        private SourceFormat format = SourceFormat.EMBEDDED;
        private SyslogInfo syslog;
        private int flags;

        private Builder() {
        }

        public Builder eventTimeNanos(long nanosSinceEpoch) {
            this.eventTimeNanos = nanosSinceEpoch;
            return this;
        }

        public Builder eventTime(Instant time) {
            return eventTimeNanos(time.getEpochSecond() * 1_000_000_000L + time.getNano());
        }

        public Builder receiveTimeNanos(long nanosSinceEpoch) {
            this.receiveTimeNanos = nanosSinceEpoch;
            return this;
        }

        public Builder receiveTime(Instant time) {
            return receiveTimeNanos(time.getEpochSecond() * 1_000_000_000L + time.getNano());
        }

        public Builder level(Level level) {
            this.level = Objects.requireNonNull(level, "level");
            return this;
        }

        public Builder host(String host) {
            this.host = nullToEmpty(host);
            return this;
        }

        public Builder service(String service) {
            this.service = nullToEmpty(service);
            return this;
        }

        public Builder message(String message) {
            this.message = nullToEmpty(message);
            return this;
        }

        /** Adds (or replaces) a string field. */
        public Builder field(String name, String value) {
            return field(name, FieldValue.string(Objects.requireNonNull(value, "value")));
        }

        /** Adds (or replaces) a field whose value is JSON text, e.g. {@code 42} or {@code [1,2]}. */
        public Builder fieldJson(String name, String jsonText) {
            return field(name, FieldValue.json(Objects.requireNonNull(jsonText, "jsonText")));
        }

        public Builder field(String name, FieldValue value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            int slot = slotOf(name);
            if (slot >= 0) {
                fieldValues[slot] = value; // replaced in place: keeps the first insertion's position
                return this;
            }
            if (fieldCount == fieldNames.length) {
                int cap = Math.max(4, fieldCount * 2);
                fieldNames = Arrays.copyOf(fieldNames, cap);
                fieldValues = Arrays.copyOf(fieldValues, cap);
            }
            fieldNames[fieldCount] = name;
            fieldValues[fieldCount] = value;
            if (fieldIndex != null) {
                fieldIndex.put(name, fieldCount);
            }
            fieldCount++;
            return this;
        }

        /** The slot of {@code name}, or -1: a scan while there are few fields, a hash lookup beyond. */
        private int slotOf(String name) {
            if (fieldIndex != null) {
                Integer slot = fieldIndex.get(name);
                return slot == null ? -1 : slot;
            }
            for (int i = 0; i < fieldCount; i++) {
                if (fieldNames[i].equals(name)) {
                    return i;
                }
            }
            if (fieldCount >= INDEX_FIELDS_FROM) {
                fieldIndex = new HashMap<>(fieldCount * 4);
                for (int i = 0; i < fieldCount; i++) {
                    fieldIndex.put(fieldNames[i], i);
                }
            }
            return -1;
        }

        public Builder source(String source) {
            this.source = nullToEmpty(source);
            return this;
        }

        public Builder format(SourceFormat format) {
            this.format = Objects.requireNonNull(format, "format");
            return this;
        }

        public Builder syslog(SyslogInfo syslog) {
            this.syslog = syslog;
            return this;
        }

        public Builder flag(RecordFlag flag) {
            this.flags |= flag.bit();
            return this;
        }

        /** Sets the whole flag mask, as read back by a codec. */
        public Builder flagBits(int bits) {
            this.flags = bits;
            return this;
        }

        public LogRecord build() {
            return new LogRecord(this);
        }

        private static String nullToEmpty(String s) {
            return s == null ? "" : s;
        }
    }
}
