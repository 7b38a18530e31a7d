package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.core.async.NonBlockingInputFeeder;
import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Arrays;

/**
 * The newline-delimited JSON format: one object per line, read with Jackson's streaming parser (no
 * tree per line).
 *
 * <p>Known keys fill the record: {@code ts}, {@code timestamp}, {@code @timestamp}, {@code time}
 * (RFC 3339 / ISO 8601 text, or an epoch number read by magnitude, see {@link Timestamps});
 * {@code level}, {@code severity} (a level name, a syslog severity 0-7, or a pino/Bunyan number
 * 10..60: up to 10 TRACE, 20 DEBUG, 30 INFO, 40 WARN, 50 ERROR, above FATAL); {@code service},
 * {@code app}; {@code host}, {@code hostname}; {@code msg}, {@code message}; and {@code log}, the
 * message key of Docker's json-file driver ({@code {"log":"...\n","stream":"stdout","time":"..."}}),
 * which is the message only when the object has no usable {@code msg}/{@code message}, with one
 * trailing LF stripped (Docker keeps the line's own; {@code stream} stays a field like any other key;
 * a {@code log} not taken as the message is kept as a field, after the other fields). The first usable value
 * for a record field wins. Every other key — and a known key whose value is unusable (e.g.
 * {@code "ts":"banana"}) or whose field is already set — is kept as a field: strings as
 * {@link FieldValue#string}, anything else as {@link FieldValue#json} with its JSON text made
 * compact (whitespace outside strings removed; numbers, escapes and key order exactly as sent).
 * A repeated key keeps its last value, as JSON parsers do.
 *
 * <p>Malformed: {@code invalid_json} (syntax error, or anything after the object), {@code not_an_object}
 * (valid JSON that is not an object).
 *
 * <p>How: a flat object (string, number and literal values; the usual log line) is read straight from
 * its bytes by {@link FlatJsonScanner}; any other line, and any line that scanner does not take, by
 * Jackson's streaming parser. Both hand each member to the same {@link Members} logic, and the
 * scanner takes only lines Jackson would read the same way ({@code JsonFastPathTest}).
 *
 * <p>Threading: confined to one connection's event loop (it keeps that connection's parser; the
 * shared factory is thread-safe).
 */
final class JsonLineParser implements FrameParser {

    /** Field names are not interned: clients choose them, and interning would grow a JVM-wide table. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
            .build();

    private enum Target { TIME, LEVEL, SERVICE, HOST, MESSAGE, DOCKER_LOG, NONE }

    /** Docker json-file's message key: the message only when the object has no {@code msg}/{@code message}. */
    private static final String DOCKER_LOG_KEY = "log";

    @Override
    public SourceFormat formatOf(FrameText frame) {
        return SourceFormat.JSON;
    }

    /**
     * This connection's non-blocking parser, fed one object line after another so that a line does
     * not pay for a parser's construction (bootstrapping, buffers, symbol table); null until the first
     * such line and after any line that did not parse cleanly, so a bad line cannot affect the next.
     */
    private JsonParser lineParser;
    private ByteArrayFeeder feeder;
    /** Bytes fed to {@link #lineParser} before the current line: its locations count from its start. */
    private long fed;

    /** The byte-level reader of flat objects; null when turned off (tests hold the two paths to the same records). */
    private final FlatJsonScanner flat;
    /** Reused for every line of the connection: {@link Members#reset} before each. */
    private final Members members = new Members();

    JsonLineParser() {
        this(true);
    }

    JsonLineParser(boolean flatScanner) {
        this.flat = flatScanner ? new FlatJsonScanner() : null;
    }

    @Override
    public RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos) {
        if (frame.validUtf8 && startsObject(frame.bytes, frame.length)) {
            if (flat != null) {
                try {
                    if (flat.scan(frame.bytes, frame.length)) {
                        members.reset();
                        for (int i = 0; i < flat.count(); i++) {
                            if (!members.member(b, flat.name(i), flat.kind(i), flat.text(i))) {
                                return RejectReason.TOO_MANY_FIELDS;
                            }
                        }
                        members.finish(b);
                        return null;
                    }
                } finally {
                    flat.release();
                }
            }
            return parseObjectLine(frame, b);
        }
        String text = frame.validUtf8 ? null : frame.text();
        try (JsonParser p = text == null
                ? FACTORY.createParser(frame.bytes, 0, frame.length)
                : FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                if (t == null) {
                    return RejectReason.INVALID_JSON;
                }
                p.skipChildren();
                return p.nextToken() == null ? RejectReason.NOT_AN_OBJECT : RejectReason.INVALID_JSON;
            }
            RejectReason outcome = fields(p, b, frame, text, 0, members);
            if (outcome != null) {
                return outcome;
            }
            return p.nextToken() == null ? null : RejectReason.INVALID_JSON;
        } catch (IOException e) {
            // JsonParseException, and Jackson's limits (StreamConstraintsException: nesting, number
            // and string lengths) on hostile input. Anything else is a bug and surfaces as decoder_error.
            return RejectReason.INVALID_JSON;
        }
    }

    /**
     * More members than this go the way of the builder. Envoy's and other access logs have 30 to 60
     * flat members: with the limit at 32, a line of 43 took 1.5 times as long the builder's way.
     */
    private static final int MAX_DIRECT_MEMBERS = 256;
    /** Up to this many fields the repeated-key check compares pairs; above, it hashes. */
    private static final int PAIRWISE_FIELDS = 16;
    /** Level values up to this many bytes are remembered (a connection's lines repeat a few). */
    private static final int MAX_CACHED_LEVEL_BYTES = 16;

    /** Members that become fields, by index, for {@link #encode}. */
    private final int[] fieldMembers = new int[MAX_DIRECT_MEMBERS];
    /** The repeated-key check's open-addressing table: field index + 1 by key hash. */
    private final int[] keyTable = new int[2 * MAX_DIRECT_MEMBERS];
    /** Level values remembered: a connection's lines mix a few (INFO, WARN, DEBUG...). */
    private static final int LEVEL_SLOTS = 8;
    /** The last level values' raw bytes and kinds, and the levels they gave (null: unusable); replaced in turn. */
    private final byte[][] levelRaw = new byte[LEVEL_SLOTS][MAX_CACHED_LEVEL_BYTES];
    private final int[] levelLength = {-1, -1, -1, -1, -1, -1, -1, -1};
    private final FlatJsonScanner.Kind[] levelKind = new FlatJsonScanner.Kind[LEVEL_SLOTS];
    private final Level[] levelOfSlot = new Level[LEVEL_SLOTS];
    private int nextLevelSlot;

    /**
     * A flat object line straight into the journal layout: the record {@link #parse} would make,
     * without a builder or a String per member (only a time value becomes one, to be parsed). Lines of
     * any other shape, and the rare flat ones whose record needs the builder's rules (a repeated key,
     * Docker's {@code log}, an escaped key, an escaped surrogate, more than 256 members), give null.
     */
    @Override
    public EncodedRecord encode(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                EncodedRecord.Encoder out) {
        if (flat == null || !frame.validUtf8) {
            return null;
        }
        try {
            return encodeFlat(frame, receiveTimeNanos, source, flagBits, out);
        } finally {
            flat.release(); // the frame's array is not the scanner's to keep
        }
    }

    private EncodedRecord encodeFlat(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                     EncodedRecord.Encoder out) {
        FlatJsonScanner f = flat;
        if (!f.scan(frame.bytes, frame.length)) {
            return null;
        }
        int count = f.count();
        if (count > MAX_DIRECT_MEMBERS) {
            return null;
        }
        byte[] b = frame.bytes;
        long eventTime = Timestamps.NONE;
        Level level = null;
        int service = -1;
        int host = -1;
        int message = -1;
        int fields = 0;
        for (int i = 0; i < count; i++) {
            if (f.keyEscaped(i)) {
                return null;
            }
            FlatJsonScanner.Kind kind = f.kind(i);
            boolean string = kind == FlatJsonScanner.Kind.STRING;
            boolean used = false;
            switch (targetOf(b, f.keyStart(i), f.keyEnd(i))) {
                case TIME -> {
                    if (eventTime == Timestamps.NONE) {
                        eventTime = cachedTimeOf(f, i);
                        used = eventTime != Timestamps.NONE;
                    }
                }
                case LEVEL -> {
                    if (level == null) {
                        level = cachedLevelOf(f, i);
                        used = level != null;
                    }
                }
                case SERVICE -> {
                    if (service < 0 && string) {
                        service = i;
                        used = true;
                    }
                }
                case HOST -> {
                    if (host < 0 && string) {
                        host = i;
                        used = true;
                    }
                }
                case MESSAGE -> {
                    if (message < 0 && string) {
                        message = i;
                        used = true;
                    }
                }
                case DOCKER_LOG -> {
                    return null;
                }
                default -> {
                }
            }
            if (!used) {
                fieldMembers[fields++] = i;
            }
        }
        if (repeatedKey(f, b, fields)) {
            return null; // a repeated key: the builder keeps its first place and last value
        }
        out.begin(receiveTimeNanos, eventTime == Timestamps.NONE ? receiveTimeNanos : eventTime,
                level == null ? Level.UNSET : level, SourceFormat.JSON, flagBits);
        if (!putString(f, host, Part.HOST, out) || !putString(f, service, Part.SERVICE, out)) {
            return null;
        }
        out.source(source);
        if (!putString(f, message, Part.MESSAGE, out)) {
            return null;
        }
        out.fieldCount(fields);
        for (int k = 0; k < fields; k++) {
            int i = fieldMembers[k];
            int ks = f.keyStart(i);
            boolean string = f.kind(i) == FlatJsonScanner.Kind.STRING;
            int vs = f.valueStart(i);
            int ve = f.valueEnd(i);
            if (string && f.valueEscaped(i)) {
                int len = f.unescapeUtf8(i);
                if (len < 0) {
                    return null;
                }
                out.field(b, ks, f.keyEnd(i) - ks, false, f.unescaped(), 0, len);
            } else {
                out.field(b, ks, f.keyEnd(i) - ks, !string, b, vs, ve - vs);
            }
        }
        return out.finish();
    }

    /** Whether two of the first {@code fields} {@link #fieldMembers} have one key. */
    private boolean repeatedKey(FlatJsonScanner f, byte[] b, int fields) {
        if (fields <= PAIRWISE_FIELDS) {
            for (int x = 1; x < fields; x++) {
                for (int y = 0; y < x; y++) {
                    if (sameKey(f, b, fieldMembers[x], fieldMembers[y])) {
                        return true;
                    }
                }
            }
            return false;
        }
        int size = Integer.highestOneBit(fields * 2 - 1) << 1;
        int mask = size - 1;
        int[] table = keyTable;
        Arrays.fill(table, 0, size, 0);
        for (int x = 0; x < fields; x++) {
            int ks = f.keyStart(fieldMembers[x]);
            int ke = f.keyEnd(fieldMembers[x]);
            int h = 1;
            for (int i = ks; i < ke; i++) {
                h = 31 * h + b[i];
            }
            h = (h ^ (h >>> 16)) & mask;
            while (table[h] != 0) {
                if (sameKey(f, b, fieldMembers[x], fieldMembers[table[h] - 1])) {
                    return true;
                }
                h = (h + 1) & mask;
            }
            table[h] = x + 1;
        }
        return false;
    }

    private static boolean sameKey(FlatJsonScanner f, byte[] b, int i, int j) {
        int ki = f.keyStart(i);
        int li = f.keyEnd(i) - ki;
        int kj = f.keyStart(j);
        return f.keyEnd(j) - kj == li && Arrays.equals(b, ki, ki + li, b, kj, kj + li);
    }

    private enum Part { HOST, SERVICE, MESSAGE }

    /** Member {@code i}'s string (or "" when -1) as the record's {@code part}; false if it cannot go straight. */
    private boolean putString(FlatJsonScanner f, int i, Part part, EncodedRecord.Encoder out) {
        byte[] src;
        int off;
        int len;
        if (i < 0) {
            src = f.bytes();
            off = 0;
            len = 0;
        } else if (f.valueEscaped(i)) {
            len = f.unescapeUtf8(i);
            if (len < 0) {
                return false;
            }
            src = f.unescaped();
            off = 0;
        } else {
            src = f.bytes();
            off = f.valueStart(i);
            len = f.valueEnd(i) - off;
        }
        switch (part) {
            case HOST -> out.host(src, off, len);
            case SERVICE -> out.service(src, off, len);
            default -> out.message(src, off, len);
        }
        return true;
    }

    /** The connection's last time of the usual shape, and its second. */
    private final TimeCache times = new TimeCache();

    /** {@link #timeOf} of member {@code i}; a time that shares its second with the last one is read from its fraction ({@link TimeCache}). */
    private long cachedTimeOf(FlatJsonScanner f, int i) {
        FlatJsonScanner.Kind kind = f.kind(i);
        if (kind != FlatJsonScanner.Kind.STRING || f.valueEscaped(i)) {
            return timeOf(kind, f.text(i));
        }
        byte[] b = f.bytes();
        int start = f.valueStart(i);
        int end = f.valueEnd(i);
        long nanos = times.lookup(b, start, end);
        if (nanos == Timestamps.NONE) {
            nanos = timeOf(kind, f.text(i));
            times.remember(b, start, end, nanos);
        }
        return nanos;
    }

    /** {@link #levelOf} of member {@code i}, remembered for the connection's next lines with the same bytes. */
    private Level cachedLevelOf(FlatJsonScanner f, int i) {
        FlatJsonScanner.Kind kind = f.kind(i);
        int start = f.valueStart(i);
        int len = f.valueEnd(i) - start;
        boolean cacheable = len <= MAX_CACHED_LEVEL_BYTES && !f.valueEscaped(i);
        byte[] b = f.bytes();
        if (cacheable) {
            for (int s = 0; s < LEVEL_SLOTS; s++) {
                if (levelLength[s] == len && levelKind[s] == kind
                        && Arrays.equals(b, start, start + len, levelRaw[s], 0, len)) {
                    return levelOfSlot[s];
                }
            }
        }
        Level level = levelOf(kind, f.text(i));
        if (cacheable) {
            int s = nextLevelSlot;
            nextLevelSlot = (s + 1) % LEVEL_SLOTS;
            System.arraycopy(b, start, levelRaw[s], 0, len);
            levelLength[s] = len;
            levelKind[s] = kind;
            levelOfSlot[s] = level;
        }
        return level;
    }

    /** {@link #targetOf(String)} of the key {@code b[start, end)} (not escaped), without making it a String. */
    private static Target targetOf(byte[] b, int start, int end) {
        return switch (end - start) {
            case 2 -> is(b, start, "ts") ? Target.TIME : Target.NONE;
            case 3 -> is(b, start, "msg") ? Target.MESSAGE : is(b, start, "app") ? Target.SERVICE
                    : is(b, start, DOCKER_LOG_KEY) ? Target.DOCKER_LOG : Target.NONE;
            case 4 -> is(b, start, "time") ? Target.TIME : is(b, start, "host") ? Target.HOST : Target.NONE;
            case 5 -> is(b, start, "level") ? Target.LEVEL : Target.NONE;
            case 7 -> is(b, start, "service") ? Target.SERVICE : is(b, start, "message") ? Target.MESSAGE : Target.NONE;
            case 8 -> is(b, start, "severity") ? Target.LEVEL : is(b, start, "hostname") ? Target.HOST : Target.NONE;
            case 9 -> is(b, start, "timestamp") ? Target.TIME : Target.NONE;
            case 10 -> is(b, start, "@timestamp") ? Target.TIME : Target.NONE;
            default -> Target.NONE;
        };
    }

    private static boolean is(byte[] b, int start, String ascii) {
        for (int i = 0, n = ascii.length(); i < n; i++) {
            if (b[start + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the first byte that is not JSON whitespace is '{' (other lines take the one-off parser). */
    private static boolean startsObject(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            byte c = bytes[i];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return c == '{';
            }
        }
        return false;
    }

    /** A valid UTF-8 line that starts an object, read with the connection's reused non-blocking parser. */
    private RejectReason parseObjectLine(FrameText frame, LogRecord.Builder b) {
        RejectReason outcome = RejectReason.INVALID_JSON;
        try {
            if (lineParser == null) {
                lineParser = FACTORY.createNonBlockingByteArrayParser();
                feeder = (ByteArrayFeeder) lineParser.getNonBlockingInputFeeder();
                fed = 0;
            }
            JsonParser p = lineParser;
            long base = fed;
            feeder.feedInput(frame.bytes, 0, frame.length);
            fed += frame.length;
            if (p.nextToken() == JsonToken.START_OBJECT) {
                outcome = fields(p, b, frame, null, base, members);
                if (outcome == null) {
                    // Only whitespace may follow; the parser then consumes it and waits for the next line.
                    int end = (int) (p.currentLocation().getByteOffset() - base);
                    if (!onlyWhitespace(frame.bytes, end, frame.length) || p.nextToken() != JsonToken.NOT_AVAILABLE) {
                        outcome = RejectReason.INVALID_JSON;
                    }
                }
            }
        } catch (IOException e) {
            outcome = RejectReason.INVALID_JSON; // as in parse
        } finally {
            if (outcome != null || frame.length > MAX_LINE_FOR_KEPT_PARSER) {
                // after a long line the parser holds its bytes and a char buffer of its longest string
                // (~3 MB after a 1 MB string): kept per connection, 300 connections that each sent one
                // ran serve's heap out
                discardLineParser();
            }
        }
        return outcome;
    }

    /** The connection's Jackson parser is kept only after lines up to this long. */
    static final int MAX_LINE_FOR_KEPT_PARSER = 64 * 1024;

    /** Whether a Jackson parser is kept for the next line (for tests). */
    boolean keepsLineParser() {
        return lineParser != null;
    }

    private void discardLineParser() {
        JsonParser p = lineParser;
        lineParser = null;
        feeder = null;
        if (p != null) {
            try {
                p.close();
            } catch (IOException e) {
                // Nothing to release but buffers; the parser is dropped either way.
            }
        }
    }

    private static boolean onlyWhitespace(byte[] bytes, int from, int to) {
        if (from < 0 || from > to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            byte c = bytes[i];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the object's members after its START_OBJECT into the builder, through its END_OBJECT: null
     * when the object is complete, else the malformed reason. {@code base} is the byte offset of the
     * line within the parser's input.
     */
    private static RejectReason fields(JsonParser p, LogRecord.Builder b, FrameText frame, String text, long base,
                                       Members members) throws IOException {
        members.reset();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            t = p.nextToken();
            if (t == null || t == JsonToken.NOT_AVAILABLE) {
                return RejectReason.INVALID_JSON; // the line ends inside the object
            }
            FlatJsonScanner.Kind kind;
            String value;
            switch (t) {
                case VALUE_STRING -> {
                    kind = FlatJsonScanner.Kind.STRING;
                    value = p.getText();
                }
                case VALUE_NUMBER_INT -> {
                    kind = FlatJsonScanner.Kind.INT;
                    value = p.getText(); // the text as sent
                }
                case VALUE_NUMBER_FLOAT -> {
                    kind = FlatJsonScanner.Kind.FLOAT;
                    value = p.getText();
                }
                case VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> {
                    kind = FlatJsonScanner.Kind.LITERAL;
                    value = p.getText();
                }
                case START_OBJECT, START_ARRAY -> {
                    kind = FlatJsonScanner.Kind.CONTAINER;
                    value = containerText(p, frame, text, base);
                    if (value == null) {
                        return RejectReason.INVALID_JSON;
                    }
                }
                default -> throw new IllegalStateException("unexpected JSON token " + t);
            }
            if (!members.member(b, name, kind, value)) {
                return RejectReason.TOO_MANY_FIELDS;
            }
        }
        if (t != JsonToken.END_OBJECT) {
            return RejectReason.INVALID_JSON;
        }
        members.finish(b);
        return null;
    }

    /**
     * One object's members as they arrive, from either reader: the first usable value of each known
     * key fills its record field, every other member becomes a field.
     */
    private static final class Members {
        private boolean haveTime;
        private boolean haveLevel;
        private boolean haveService;
        private boolean haveHost;
        private boolean haveMessage;
        // The first string "log": the message unless a msg/message follows, which only the end tells.
        private String dockerLog;
        private boolean dockerLogAsField;
        private int fields;

        void reset() {
            haveTime = haveLevel = haveService = haveHost = haveMessage = dockerLogAsField = false;
            dockerLog = null;
            fields = 0;
        }

        /** Adds one member; false, adding nothing, if it would be field number {@link FrameProcessor#MAX_FIELDS} + 1. */
        boolean member(LogRecord.Builder b, String name, FlatJsonScanner.Kind kind, String text) {
            boolean used = false;
            boolean string = kind == FlatJsonScanner.Kind.STRING;
            switch (targetOf(name)) {
                case TIME -> {
                    if (!haveTime) {
                        long nanos = timeOf(kind, text);
                        if (nanos != Timestamps.NONE) {
                            b.eventTimeNanos(nanos);
                            haveTime = used = true;
                        }
                    }
                }
                case LEVEL -> {
                    if (!haveLevel) {
                        Level level = levelOf(kind, text);
                        if (level != null) {
                            b.level(level);
                            haveLevel = used = true;
                        }
                    }
                }
                case SERVICE -> {
                    if (!haveService && string) {
                        b.service(text);
                        haveService = used = true;
                    }
                }
                case HOST -> {
                    if (!haveHost && string) {
                        b.host(text);
                        haveHost = used = true;
                    }
                }
                case MESSAGE -> {
                    if (!haveMessage && string) {
                        b.message(text);
                        haveMessage = used = true;
                    }
                }
                case DOCKER_LOG -> {
                    if (!haveMessage && dockerLog == null && string) {
                        dockerLog = text;
                        used = true;
                    } else {
                        dockerLogAsField = true;
                    }
                }
                default -> {
                }
            }
            if (!used) {
                if (++fields > FrameProcessor.MAX_FIELDS) {
                    return false;
                }
                b.field(name, string ? FieldValue.string(text) : new FieldValue(text, true)); // parsed: JSON already
            }
            return true;
        }

        void finish(LogRecord.Builder b) {
            if (dockerLog != null) {
                if (!haveMessage) {
                    b.message(dockerLog.endsWith("\n") ? dockerLog.substring(0, dockerLog.length() - 1) : dockerLog);
                } else if (!dockerLogAsField) {
                    // A msg/message came after it: "log" is an ordinary field (a later "log" already is one,
                    // and as a repeated key its last value stands).
                    b.field(DOCKER_LOG_KEY, FieldValue.string(dockerLog));
                }
            }
        }
    }

    private static Target targetOf(String name) {
        return switch (name) {
            case "ts", "timestamp", "@timestamp", "time" -> Target.TIME;
            case "level", "severity" -> Target.LEVEL;
            case "service", "app" -> Target.SERVICE;
            case "host", "hostname" -> Target.HOST;
            case "msg", "message" -> Target.MESSAGE;
            case DOCKER_LOG_KEY -> Target.DOCKER_LOG;
            default -> Target.NONE;
        };
    }

    /**
     * The compacted text of the object or array whose start is the current token (the sender's text,
     * not re-serialised); consumes it. Null when the line ends inside it.
     */
    private static String containerText(JsonParser p, FrameText frame, String text, long base) throws IOException {
        if (text == null) {
            int start = (int) (p.currentTokenLocation().getByteOffset() - base);
            start = startOfContainer(p, frame.bytes, start);
            if (!skipValue(p)) {
                return null;
            }
            int end = (int) (p.currentLocation().getByteOffset() - base);
            return compact(new String(frame.bytes, start, end - start, java.nio.charset.StandardCharsets.UTF_8));
        }
        int start = (int) p.currentTokenLocation().getCharOffset();
        if (!skipValue(p)) {
            return null;
        }
        int end = (int) p.currentLocation().getCharOffset();
        return compact(text.substring(start, end));
    }

    /**
     * Where the object or array at the current token starts: Jackson's non-blocking parser reports
     * the byte after the opening bracket, the blocking one the bracket itself.
     */
    private static int startOfContainer(JsonParser p, byte[] bytes, int reported) {
        if (!(p instanceof NonBlockingInputFeeder)) {
            return reported;
        }
        byte open = (byte) (p.currentToken() == JsonToken.START_OBJECT ? '{' : '[');
        if (reported < 1 || bytes[reported - 1] != open) {
            throw new IllegalStateException("unexpected location of a JSON " + p.currentToken());
        }
        return reported - 1;
    }

    /**
     * Consumes the object or array whose start is the current token; false when the line ends first.
     * (Jackson's skipChildren would spin on a non-blocking parser's NOT_AVAILABLE.)
     */
    private static boolean skipValue(JsonParser p) throws IOException {
        int open = 1;
        while (open > 0) {
            JsonToken t = p.nextToken();
            if (t == null || t == JsonToken.NOT_AVAILABLE) {
                return false;
            }
            if (t.isStructStart()) {
                open++;
            } else if (t.isStructEnd()) {
                open--;
            }
        }
        return true;
    }

    /** An event time from a value: RFC 3339 / ISO 8601 or epoch text, or an epoch number; NONE if none. */
    private static long timeOf(FlatJsonScanner.Kind kind, String text) {
        return switch (kind) {
            case STRING -> {
                String s = text.trim();
                long nanos = Timestamps.parseDateTime(s, 0, s.length(), false);
                yield nanos != Timestamps.NONE ? nanos : Timestamps.fromEpochText(s);
            }
            case INT -> {
                Long v = longOf(text);
                yield v == null ? Timestamps.NONE : Timestamps.fromEpoch(v); // beyond a long: none
            }
            case FLOAT -> Timestamps.fromEpoch(new BigDecimal(text));
            default -> Timestamps.NONE;
        };
    }

    private static Level levelOf(FlatJsonScanner.Kind kind, String text) {
        return switch (kind) {
            case STRING -> {
                Level l = Level.parse(text);
                if (l == null) {
                    String trimmed = text.trim();
                    if (!trimmed.isEmpty() && trimmed.length() <= 4 && trimmed.chars().allMatch(Character::isDigit)) {
                        l = levelOfNumber(Integer.parseInt(trimmed));
                    }
                }
                yield l;
            }
            case INT -> {
                Long v = longOf(text);
                yield v != null && v == v.intValue() ? levelOfNumber(v.intValue()) : null; // an int, as Jackson types it
            }
            case FLOAT -> {
                BigDecimal d = new BigDecimal(text);
                yield d.signum() >= 0 && d.stripTrailingZeros().scale() <= 0 && d.compareTo(BigDecimal.valueOf(1000)) < 0
                        ? levelOfNumber(d.intValue()) : null;
            }
            default -> null;
        };
    }

    /** A JSON integer's value, or null if it does not fit a long. */
    private static Long longOf(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** 0..7: syslog severity; 8 and above: pino/Bunyan (10 trace ... 60 fatal), bucketed upward. */
    static Level levelOfNumber(int n) {
        if (n < 0) {
            return null;
        }
        if (n <= 7) {
            return Level.fromSyslogSeverity(n);
        }
        if (n <= 10) {
            return Level.TRACE;
        } else if (n <= 20) {
            return Level.DEBUG;
        } else if (n <= 30) {
            return Level.INFO;
        } else if (n <= 40) {
            return Level.WARN;
        } else if (n <= 50) {
            return Level.ERROR;
        }
        return Level.FATAL;
    }

    /**
     * JSON text without whitespace outside strings; the same instance when there is none.
     *
     * <p>Hand-written rather than a Jackson parser copying into a generator: a generator re-escapes
     * strings and can respell numbers, while a field keeps the sender's exact text, and this one scan
     * is cheaper than a second parse (see JsonWriteBench in bench/RESULTS.md).
     */
    static String compact(String json) {
        int n = json.length();
        int i = 0;
        boolean inString = false;
        for (; i < n; i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                break;
            }
        }
        if (i == n) {
            return json;
        }
        StringBuilder sb = new StringBuilder(n);
        sb.append(json, 0, i);
        for (; i < n; i++) {
            char c = json.charAt(i);
            if (inString) {
                sb.append(c);
                if (c == '\\' && i + 1 < n) {
                    sb.append(json.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                sb.append(c);
            } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
