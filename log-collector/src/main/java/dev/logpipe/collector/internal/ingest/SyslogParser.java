package dev.logpipe.collector.internal.ingest;

import dev.logpipe.collector.RejectReason;

import dev.logpipe.filesink.EncodedRecord;
import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.SourceFormat;
import dev.logpipe.filesink.SyslogInfo;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Syslog frames, RFC 5424 and RFC 3164 (BSD), told apart by what follows the PRI: a 1-3 digit
 * version and a space is RFC 5424, anything else RFC 3164.
 *
 * <p>Both: PRI gives facility and severity ({@link Level#fromSyslogSeverity}); the hostname is the
 * record's host, the APP-NAME (RFC 5424) or TAG (RFC 3164) its service. A trailing CR/LF on the
 * message and a leading UTF-8 BOM are removed.
 *
 * <p>RFC 5424: header fields separated by single spaces, NILVALUE {@code -} stored as empty;
 * TIMESTAMP is RFC 3339 with any fraction and an offset; STRUCTURED-DATA is kept as received in
 * {@link SyslogInfo#structuredData()} and each SD-PARAM is also a field {@code sd.<SD-ID>.<name>}
 * (value unescaped: {@code \"}, {@code \\}, {@code \]}; a name repeated within an element becomes a
 * JSON array of its values). Lenient where senders are: field lengths are not enforced, and a frame
 * that ends after MSGID has no structured data. A bad PRI, a version other than 1, a bad timestamp, a
 * missing field or unparseable structured data is {@code bad_syslog_header}.
 *
 * <p>RFC 3164: {@code Mmm dd hh:mm:ss} (day space- or zero-padded, optional fraction, optional year
 * before the time as some devices send), or an RFC 3339 timestamp as rsyslog and systemd send. A
 * timestamp without a year is read in the collector's zone and given the year that puts it closest to
 * the receive time without being more than a day in the future. After the timestamp comes the
 * hostname, unless the next word is already a tag ({@code name:}, {@code name[pid]:} or
 * {@code name[pid]}), as local senders omit it. Without a timestamp there is no hostname (as RFC 3164
 * section 4.3.3 says) but the tag is still taken. A frame without any PRI is kept as RFC 3164 says a
 * relay must: facility user, severity notice, the whole frame as content. Only a broken PRI is
 * {@code bad_syslog_header} in RFC 3164.
 *
 * <p>Threading: confined to one connection's event loop.
 */
final class SyslogParser implements FrameParser {

    private static final int DEFAULT_PRI = 13; // user.notice, RFC 3164 section 4.3.3
    private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep",
        "oct", "nov", "dec"};
    private static final long DAY_NANOS = 86_400_000_000_000L;

    /** Header tokens by slot: 5424 hostname, app-name, procid, msgid; 3164 host, tag, pid. */
    private final TokenCache headers = new TokenCache(4);
    /** Structured-data field names by their PARAM's position in the frame. */
    private final TokenCache sdNames = new TokenCache(16);
    private final ZoneId zone;

    SyslogParser(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public SourceFormat formatOf(FrameText frame) {
        // A frame that starts "<PRI>digit(s) " claims RFC 5424; a raw one keeps that claim.
        byte[] b = frame.bytes;
        int n = frame.length;
        int i = 0;
        if (n > 0 && b[0] == '<') {
            i = 1;
            while (i < n && i <= 4 && b[i] >= '0' && b[i] <= '9') {
                i++;
            }
            if (i > 1 && i < n && b[i] == '>') {
                int v = ++i;
                while (i < n && i - v < 3 && b[i] >= '0' && b[i] <= '9') {
                    i++;
                }
                if (i > v && i < n && b[i] == ' ') {
                    return SourceFormat.SYSLOG_5424;
                }
            }
        }
        return SourceFormat.SYSLOG_3164;
    }

    @Override
    public RejectReason parse(FrameText frame, LogRecord.Builder b, long receiveTimeNanos) {
        String s = frame.text();
        int n = s.length();
        int pri;
        int p;
        if (n > 0 && s.charAt(0) == '<') {
            int v = 0;
            int i = 1;
            while (i < n && i <= 3 && Timestamps.isDigit(s.charAt(i))) {
                v = v * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == 1 || i >= n || s.charAt(i) != '>' || v > 191) {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            pri = v;
            p = i + 1;
        } else {
            pri = DEFAULT_PRI;
            p = 0;
        }
        b.level(Level.fromSyslogSeverity(pri & 7));
        int v = p;
        while (v < n && v - p < 3 && Timestamps.isDigit(s.charAt(v))) {
            v++;
        }
        if (p > 0 && v > p && v < n && s.charAt(v) == ' ') {
            b.format(SourceFormat.SYSLOG_5424);
            if (v - p != 1 || s.charAt(p) != '1') {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            return parse5424(s, v + 1, pri, b);
        }
        b.format(SourceFormat.SYSLOG_3164);
        return parse3164(s, p, pri, b, receiveTimeNanos);
    }

    // ---------------------------------------------------------------- RFC 5424, straight to the journal layout

    /** Scratch buffers larger than this are dropped after their frame. */
    private static final int MAX_KEPT_SCRATCH = 64 * 1024;
    /** More SD-PARAMs than this go the way of the builder (the duplicate check is quadratic). */
    private static final int MAX_DIRECT_PARAMS = 32;
    private static final byte[] SD_PREFIX = {'s', 'd', '.'};

    /** The connection's last timestamp of the usual shape, and its second. */
    private final TimeCache times = new TimeCache();
    /** Header fields of the frame being encoded: hostname, app-name, procid, msgid as [start, end) (a NILVALUE as empty). */
    private final int[] headerStart = new int[4];
    private final int[] headerEnd = new int[4];
    /** Per SD-PARAM: its SD-ID, name and value as [start, end), and whether the value has escapes. */
    private final int[] paramIdStart = new int[MAX_DIRECT_PARAMS];
    private final int[] paramIdEnd = new int[MAX_DIRECT_PARAMS];
    private final int[] paramNameStart = new int[MAX_DIRECT_PARAMS];
    private final int[] paramNameEnd = new int[MAX_DIRECT_PARAMS];
    private final int[] paramValueStart = new int[MAX_DIRECT_PARAMS];
    private final int[] paramValueEnd = new int[MAX_DIRECT_PARAMS];
    private final boolean[] paramEscaped = new boolean[MAX_DIRECT_PARAMS];
    private int params;
    /** A field name ({@code sd.ID.name}) or an unescaped value being encoded. */
    private byte[] nameScratch = new byte[64];
    private byte[] valueScratch = new byte[64];
    /**
     * An RFC 5424 frame straight into the journal layout: the record {@link #parse} makes, without a
     * builder or a String per field. Null for RFC 3164, for anything {@link #parse} would refuse, and
     * for the rare frames whose record needs the builder's rules (a repeated SD name, very many
     * PARAMs, a non-ASCII timestamp).
     */
    @Override
    public EncodedRecord encode(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                EncodedRecord.Encoder out) {
        try {
            return encode5424(frame, receiveTimeNanos, source, flagBits, out);
        } finally {
            if (valueScratch.length > MAX_KEPT_SCRATCH) {
                valueScratch = new byte[64]; // a huge value's buffer is not kept for the connection's life
            }
            if (nameScratch.length > MAX_KEPT_SCRATCH) {
                nameScratch = new byte[64];
            }
        }
    }

    private EncodedRecord encode5424(FrameText frame, long receiveTimeNanos, String source, int flagBits,
                                     EncodedRecord.Encoder out) {
        byte[] b = frame.bytes;
        int n = frame.length;
        if (!frame.validUtf8 || n < 4 || b[0] != '<') {
            return null;
        }
        int pri = 0;
        int i = 1;
        while (i < n && i <= 3 && b[i] >= '0' && b[i] <= '9') {
            pri = pri * 10 + (b[i] - '0');
            i++;
        }
        if (i == 1 || i + 2 >= n || b[i] != '>' || pri > 191 || b[i + 1] != '1' || b[i + 2] != ' ') {
            return null; // not RFC 5424 version 1, or refused: parse decides
        }
        int p = i + 3;
        int end = tokenEnd(b, p, n);
        if (end == p) {
            return null;
        }
        long eventTime = Timestamps.NONE;
        if (!(end == p + 1 && b[p] == '-')) {
            eventTime = times.lookup(b, p, end);
            if (eventTime == Timestamps.NONE) {
                for (int k = p; k < end; k++) {
                    if (b[k] < 0) {
                        return null;
                    }
                }
                // once a second or so per connection (TimeCache has the rest): a String is fine here
                String stamp = new String(b, p, end - p, java.nio.charset.StandardCharsets.ISO_8859_1);
                eventTime = Timestamps.parseDateTime(stamp, 0, stamp.length(), true);
                if (eventTime == Timestamps.NONE) {
                    return null;
                }
                times.remember(b, p, end, eventTime);
            }
        }
        p = end;
        for (int f = 0; f < 4; f++) {
            if (p >= n || b[p] != ' ') {
                return null;
            }
            p++;
            end = tokenEnd(b, p, n);
            if (end == p) {
                return null;
            }
            boolean nil = end == p + 1 && b[p] == '-';
            headerStart[f] = p;
            headerEnd[f] = nil ? p : end;
            p = end;
        }
        int sdStart = p;
        int sdEnd = p;
        int msgStart = n;
        int msgEnd = n;
        params = 0;
        if (p < n) {
            if (b[p] != ' ' || p + 1 >= n) {
                return null;
            }
            p++;
            if (b[p] == '-') {
                p++;
            } else if (b[p] == '[') {
                sdStart = p;
                p = scanStructuredData(b, p, n);
                if (p < 0) {
                    return null;
                }
                sdEnd = p;
            } else {
                return null;
            }
            if (p < n) {
                if (b[p] != ' ') {
                    return null;
                }
                msgStart = p + 1;
                while (msgEnd > msgStart && (b[msgEnd - 1] == '\n' || b[msgEnd - 1] == '\r')) {
                    msgEnd--;
                }
                if (msgEnd - msgStart >= 3 && b[msgStart] == (byte) 0xEF && b[msgStart + 1] == (byte) 0xBB
                        && b[msgStart + 2] == (byte) 0xBF) {
                    msgStart += 3; // a leading BOM
                }
            }
        }
        for (int x = 1; x < params; x++) {
            for (int y = 0; y < x; y++) {
                if (sameName(b, x, y)) {
                    return null; // a repeated name: the builder makes its values an array
                }
            }
        }
        out.begin(receiveTimeNanos, eventTime == Timestamps.NONE ? receiveTimeNanos : eventTime,
                Level.fromSyslogSeverity(pri & 7), SourceFormat.SYSLOG_5424, flagBits)
                .host(b, headerStart[0], headerEnd[0] - headerStart[0])
                .service(b, headerStart[1], headerEnd[1] - headerStart[1])
                .source(source)
                .message(b, msgStart, msgEnd - msgStart)
                .fieldCount(params);
        for (int k = 0; k < params; k++) {
            int nameLen = fieldName(b, k);
            int vs = paramValueStart[k];
            int ve = paramValueEnd[k];
            if (paramEscaped[k]) {
                int len = unescape(b, vs, ve);
                out.field(nameScratch, 0, nameLen, false, valueScratch, 0, len);
            } else {
                out.field(nameScratch, 0, nameLen, false, b, vs, ve - vs);
            }
        }
        return out.syslog(pri >> 3, pri & 7)
                .appName(b, headerStart[1], headerEnd[1] - headerStart[1])
                .procId(b, headerStart[2], headerEnd[2] - headerStart[2])
                .msgId(b, headerStart[3], headerEnd[3] - headerStart[3])
                .structuredData(b, sdStart, sdEnd - sdStart)
                .finish();
    }

    /**
     * As {@link #parseStructuredData}, on bytes, keeping each PARAM's spans; the end, or -1 (or too
     * many PARAMs). The same grammar twice on purpose: the builder's way reads the frame's text (which
     * has U+FFFD for invalid UTF-8, and char positions), this one its valid UTF-8 bytes; the
     * differential test in {@code SyslogParserTest} holds the two to the same records.
     */
    private int scanStructuredData(byte[] b, int p, int n) {
        while (p < n && b[p] == '[') {
            p++;
            int idStart = p;
            while (p < n && isSdNameByte(b[p])) {
                p++;
            }
            if (p == idStart) {
                return -1;
            }
            int idEnd = p;
            while (true) {
                if (p >= n) {
                    return -1;
                }
                byte c = b[p];
                if (c == ']') {
                    p++;
                    break;
                }
                if (c != ' ' || params == MAX_DIRECT_PARAMS) {
                    return -1;
                }
                p++;
                int nameStart = p;
                while (p < n && isSdNameByte(b[p])) {
                    p++;
                }
                if (p == nameStart || p + 1 >= n || b[p] != '=' || b[p + 1] != '"') {
                    return -1;
                }
                int nameEnd = p;
                p += 2;
                int valueStart = p;
                boolean escapes = false;
                while (true) {
                    if (p >= n) {
                        return -1;
                    }
                    byte v = b[p];
                    if (v == '"') {
                        break;
                    }
                    if (v == '\\' && p + 1 < n) {
                        byte e = b[p + 1];
                        if (e == '"' || e == '\\' || e == ']') {
                            escapes = true;
                            p += 2;
                            continue;
                        }
                    }
                    p++; // a lone backslash stays, as RFC 5424 section 6.3.3 says
                }
                int k = params++;
                paramIdStart[k] = idStart;
                paramIdEnd[k] = idEnd;
                paramNameStart[k] = nameStart;
                paramNameEnd[k] = nameEnd;
                paramValueStart[k] = valueStart;
                paramValueEnd[k] = p;
                paramEscaped[k] = escapes;
                p++; // the closing quote
            }
        }
        return p;
    }

    /**
     * Whether PARAMs {@code x} and {@code y} make the same field name ({@code sd.ID.name}): compared
     * whole, as an SD-ID or a name may hold a '.' ("a.b" and "c" make the name "a" and "b.c" make).
     */
    private boolean sameName(byte[] b, int x, int y) {
        int len = paramIdEnd[x] - paramIdStart[x] + 1 + paramNameEnd[x] - paramNameStart[x];
        if (len != paramIdEnd[y] - paramIdStart[y] + 1 + paramNameEnd[y] - paramNameStart[y]) {
            return false;
        }
        for (int j = 0; j < len; j++) {
            if (nameByte(b, x, j) != nameByte(b, y, j)) {
                return false;
            }
        }
        return true;
    }

    /** Byte {@code j} of PARAM {@code k}'s {@code ID.name}. */
    private byte nameByte(byte[] b, int k, int j) {
        int idLen = paramIdEnd[k] - paramIdStart[k];
        return j < idLen ? b[paramIdStart[k] + j] : j == idLen ? (byte) '.' : b[paramNameStart[k] + j - idLen - 1];
    }

    /** Writes PARAM {@code k}'s field name into {@link #nameScratch}; its length. */
    private int fieldName(byte[] b, int k) {
        int idLen = paramIdEnd[k] - paramIdStart[k];
        int nameLen = paramNameEnd[k] - paramNameStart[k];
        int len = 3 + idLen + 1 + nameLen;
        if (nameScratch.length < len) {
            nameScratch = new byte[Math.max(len, nameScratch.length * 2)];
        }
        System.arraycopy(SD_PREFIX, 0, nameScratch, 0, 3);
        System.arraycopy(b, paramIdStart[k], nameScratch, 3, idLen);
        nameScratch[3 + idLen] = '.';
        System.arraycopy(b, paramNameStart[k], nameScratch, 4 + idLen, nameLen);
        return len;
    }

    /** The PARAM-VALUE {@code b[from, to)} with its escapes resolved, into {@link #valueScratch}; its length. */
    private int unescape(byte[] b, int from, int to) {
        if (valueScratch.length < to - from) {
            valueScratch = new byte[Math.max(to - from, valueScratch.length * 2)];
        }
        int o = 0;
        for (int p = from; p < to; p++) {
            byte v = b[p];
            if (v == '\\' && p + 1 < to) {
                byte e = b[p + 1];
                if (e == '"' || e == '\\' || e == ']') {
                    valueScratch[o++] = e;
                    p++;
                    continue;
                }
            }
            valueScratch[o++] = v;
        }
        return o;
    }

    /** SD-NAME: printable US-ASCII except '=', SP, ']' and '"' (a byte of a multi-byte character is negative). */
    private static boolean isSdNameByte(byte c) {
        return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
    }

    /** The index of the next space at or after {@code p}, or {@code n}. */
    private static int tokenEnd(byte[] b, int p, int n) {
        while (p < n && b[p] != ' ') {
            p++;
        }
        return p;
    }

    // ---------------------------------------------------------------- RFC 5424

    private RejectReason parse5424(String s, int p, int pri, LogRecord.Builder b) {
        int n = s.length();
        String[] header = new String[4]; // hostname, app-name, procid, msgid
        int end = tokenEnd(s, p);
        if (end == p) {
            return RejectReason.BAD_SYSLOG_HEADER;
        }
        if (!(end == p + 1 && s.charAt(p) == '-')) {
            long t = Timestamps.parseDateTime(s, p, end, true);
            if (t == Timestamps.NONE) {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            b.eventTimeNanos(t);
        }
        p = end;
        for (int f = 0; f < 4; f++) {
            if (p >= n || s.charAt(p) != ' ') {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            p++;
            end = tokenEnd(s, p);
            if (end == p) {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            header[f] = end == p + 1 && s.charAt(p) == '-' ? "" : headers.token(f, s, p, end);
            p = end;
        }
        String sd = "";
        String msg = "";
        if (p < n) {
            if (s.charAt(p) != ' ' || p + 1 >= n) {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            p++;
            char c = s.charAt(p);
            if (c == '-') {
                p++;
            } else if (c == '[') {
                int sdEnd = parseStructuredData(s, p, b);
                if (sdEnd == TOO_MANY_PARAMS) {
                    return RejectReason.TOO_MANY_FIELDS;
                }
                if (sdEnd < 0) {
                    return RejectReason.BAD_SYSLOG_HEADER;
                }
                sd = s.substring(p, sdEnd);
                p = sdEnd;
            } else {
                return RejectReason.BAD_SYSLOG_HEADER;
            }
            if (p < n) {
                if (s.charAt(p) != ' ') {
                    return RejectReason.BAD_SYSLOG_HEADER;
                }
                msg = message(s, p + 1);
            }
        }
        b.host(header[0]).service(header[1]).message(msg)
                .syslog(new SyslogInfo(pri >> 3, pri & 7, header[1], header[2], header[3], sd));
        return null;
    }

    /** {@link #parseStructuredData}'s answer for more distinct params than {@link FrameProcessor#MAX_FIELDS}. */
    private static final int TOO_MANY_PARAMS = -2;

    /**
     * Parses SD-ELEMENTs from {@code p}, adding {@code sd.ID.name} fields; returns the end, -1 if they do
     * not parse, {@link #TOO_MANY_PARAMS} past {@link FrameProcessor#MAX_FIELDS} distinct names. A
     * name given more than once (the same ID twice, or a repeated PARAM) becomes one field holding a
     * JSON array of its values, in order.
     */
    private int parseStructuredData(String s, int p, LogRecord.Builder b) {
        int n = s.length();
        // Per record and usually a handful of params: parallel lists, no map (duplicates are rare and
        // found by a linear look).
        List<String> names = new ArrayList<>(8);
        List<Object> values = new ArrayList<>(8); // a String, or a List<String> once repeated
        Map<String, Integer> index = null; // name -> position, once there are many names
        StringBuilder escaped = null;
        int param = 0; // the PARAM's position in the frame: its name's cache slot
        while (p < n && s.charAt(p) == '[') {
            p++;
            int idStart = p;
            while (p < n && isSdNameChar(s.charAt(p))) {
                p++;
            }
            if (p == idStart) {
                return -1;
            }
            int idEnd = p;
            while (true) {
                if (p >= n) {
                    return -1;
                }
                char c = s.charAt(p);
                if (c == ']') {
                    p++;
                    break;
                }
                if (c != ' ') {
                    return -1;
                }
                p++;
                int nameStart = p;
                while (p < n && isSdNameChar(s.charAt(p))) {
                    p++;
                }
                if (p == nameStart || p + 1 >= n || s.charAt(p) != '=' || s.charAt(p + 1) != '"') {
                    return -1;
                }
                String name = sdNames.sdName(param++, s, idStart, idEnd, nameStart, p);
                p += 2;
                int valueStart = p;
                boolean escapes = false;
                while (true) {
                    if (p >= n) {
                        return -1;
                    }
                    char v = s.charAt(p);
                    if (v == '"') {
                        break;
                    }
                    if (v == '\\' && p + 1 < n) {
                        char e = s.charAt(p + 1);
                        if (e == '"' || e == '\\' || e == ']') {
                            escapes = true;
                            p += 2;
                            continue;
                        }
                    }
                    p++; // a lone backslash stays, as RFC 5424 section 6.3.3 says
                }
                String value;
                if (escapes) {
                    if (escaped == null) {
                        escaped = new StringBuilder();
                    }
                    value = unescape(s, valueStart, p, escaped);
                } else {
                    value = s.substring(valueStart, p);
                }
                p++; // the closing quote
                index = addParam(names, values, index, name, value);
                if (names.size() > FrameProcessor.MAX_FIELDS) {
                    return TOO_MANY_PARAMS;
                }
            }
        }
        for (int i = 0; i < names.size(); i++) {
            Object v = values.get(i);
            if (v instanceof String one) {
                b.field(names.get(i), one);
            } else {
                @SuppressWarnings("unchecked")
                List<String> all = (List<String>) v;
                StringBuilder json = new StringBuilder().append('[');
                for (int k = 0; k < all.size(); k++) {
                    if (k > 0) {
                        json.append(',');
                    }
                    FieldValue.appendJsonString(json, all.get(k));
                }
                b.field(names.get(i), new FieldValue(json.append(']').toString(), true));
            }
        }
        return p;
    }

    /** Past this many distinct names, duplicates are found through a hash index instead of a linear look. */
    private static final int LINEAR_NAMES = 8;

    /**
     * Adds one PARAM. A few names (the usual case) are compared one by one; a frame with many (up to
     * max-frame of them) gets a hash index, so hostile input costs linear time, not quadratic.
     */
    private static Map<String, Integer> addParam(List<String> names, List<Object> values, Map<String, Integer> index,
                                                 String name, String value) {
        int at = -1;
        if (index != null) {
            at = index.getOrDefault(name, -1);
        } else {
            for (int i = 0; i < names.size(); i++) {
                if (names.get(i).equals(name)) {
                    at = i;
                    break;
                }
            }
        }
        if (at >= 0) {
            Object v = values.get(at);
            if (v instanceof String first) {
                List<String> all = new ArrayList<>(2);
                all.add(first);
                values.set(at, all);
                v = all;
            }
            @SuppressWarnings("unchecked")
            List<String> all = (List<String>) v;
            all.add(value);
            return index;
        }
        names.add(name);
        values.add(value);
        if (index != null) {
            index.put(name, names.size() - 1);
        } else if (names.size() > LINEAR_NAMES) {
            index = new HashMap<>();
            for (int i = 0; i < names.size(); i++) {
                index.put(names.get(i), i);
            }
        }
        return index;
    }

    /** The PARAM-VALUE in {@code s[from, to)} with its escapes ({@code \"}, {@code \\}, {@code \]}) resolved. */
    private static String unescape(String s, int from, int to, StringBuilder sb) {
        sb.setLength(0);
        for (int p = from; p < to; p++) {
            char v = s.charAt(p);
            if (v == '\\' && p + 1 < to) {
                char e = s.charAt(p + 1);
                if (e == '"' || e == '\\' || e == ']') {
                    sb.append(e);
                    p++;
                    continue;
                }
            }
            sb.append(v);
        }
        return sb.toString();
    }

    /** SD-NAME: printable US-ASCII except '=', SP, ']' and '"'. */
    private static boolean isSdNameChar(char c) {
        return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
    }

    // ---------------------------------------------------------------- RFC 3164

    private RejectReason parse3164(String s, int p, int pri, LogRecord.Builder b, long receiveTimeNanos) {
        int n = s.length();
        String host = "";
        int afterTs = parseBsdTimestamp(s, p, b, receiveTimeNanos);
        if (afterTs < 0) {
            afterTs = parseIsoTimestamp(s, p, b);
        }
        if (afterTs >= 0) {
            p = afterTs;
            if (p < n && s.charAt(p) == ' ') {
                p++;
            }
            int end = tokenEnd(s, p);
            // A word followed by more text that is not a tag is the hostname; local senders omit it.
            if (end > p && end < n && tagEnd(s, p, end) < 0) {
                host = headers.token(0, s, p, end);
                p = end + 1;
            }
        }
        String tag = "";
        String pid = "";
        int end = tokenEnd(s, p);
        int tagEnd = end > p ? tagEnd(s, p, end) : -1;
        if (tagEnd >= 0) {
            tag = headers.token(1, s, p, tagEnd);
            if (s.charAt(tagEnd) == '[') {
                pid = headers.token(2, s, tagEnd + 1, s.indexOf(']', tagEnd));
            }
            p = end < n ? end + 1 : end;
        }
        b.host(host).service(tag).message(message(s, Math.min(p, n)))
                .syslog(new SyslogInfo(pri >> 3, pri & 7, tag, pid, "", ""));
        return null;
    }

    /**
     * If {@code s[p, end)} is a tag word ({@code name:}, {@code name[pid]:} or {@code name[pid]}),
     * the end of the name part (the index of {@code [} or {@code :}), else -1.
     */
    private static int tagEnd(String s, int p, int end) {
        int i = p;
        while (i < end) {
            char c = s.charAt(i);
            if (c == '[' || c == ']' || c == ':') {
                break;
            }
            i++;
        }
        if (i == p || i - p > 128) {
            return -1;
        }
        int nameEnd = i;
        if (i < end && s.charAt(i) == '[') {
            int close = s.indexOf(']', i);
            if (close < 0 || close >= end || close == i + 1) {
                return -1;
            }
            i = close + 1;
            if (i == end) {
                return nameEnd; // name[pid] without a colon
            }
        }
        return i == end - 1 && s.charAt(i) == ':' ? nameEnd : -1;
    }

    /** {@code Mmm dd [yyyy ]hh:mm:ss[.fff]}; returns the index after it, or -1. */
    private int parseBsdTimestamp(String s, int p, LogRecord.Builder b, long receiveTimeNanos) {
        int n = s.length();
        if (p + 15 > n) {
            return -1;
        }
        int month = -1;
        for (int m = 0; m < 12; m++) {
            if (s.regionMatches(true, p, MONTHS[m], 0, 3)) {
                month = m + 1;
                break;
            }
        }
        if (month < 0 || s.charAt(p + 3) != ' ') {
            return -1;
        }
        int i = p + 4;
        if (s.charAt(i) == ' ') {
            i++;
        }
        int day = 0;
        int digits = 0;
        while (i < n && digits < 2 && Timestamps.isDigit(s.charAt(i))) {
            day = day * 10 + (s.charAt(i) - '0');
            digits++;
            i++;
        }
        if (digits == 0 || day < 1 || day > 31 || i >= n || s.charAt(i) != ' ') {
            return -1;
        }
        i++;
        int year = -1;
        if (i + 5 <= n && Timestamps.digits(s, i, 4) >= 0 && s.charAt(i + 4) == ' ') {
            year = Timestamps.digits(s, i, 4);
            i += 5;
        }
        if (i + 8 > n || s.charAt(i + 2) != ':' || s.charAt(i + 5) != ':') {
            return -1;
        }
        int hour = Timestamps.digits(s, i, 2);
        int minute = Timestamps.digits(s, i + 3, 2);
        int second = Timestamps.digits(s, i + 6, 2);
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return -1;
        }
        i += 8;
        int nanos = 0;
        if (i < n && s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && Timestamps.isDigit(s.charAt(i))) {
                if (i - start < 9) {
                    nanos = nanos * 10 + (s.charAt(i) - '0');
                }
                i++;
            }
            if (i == start) {
                return -1;
            }
            for (int k = Math.min(i - start, 9); k < 9; k++) {
                nanos *= 10;
            }
        }
        if (i < n && s.charAt(i) != ' ') {
            return -1;
        }
        long t = year >= 0
                ? toNanos(year, month, day, hour, minute, second, nanos)
                : inferYear(month, day, hour, minute, second, nanos, receiveTimeNanos);
        if (t == Timestamps.NONE) {
            return -1;
        }
        b.eventTimeNanos(t);
        return i;
    }

    /** The year that puts the date closest to now without being more than a day ahead of it. */
    private long inferYear(int month, int day, int hour, int minute, int second, int nanos, long nowNanos) {
        int thisYear = Instant.ofEpochSecond(Math.floorDiv(nowNanos, 1_000_000_000L)).atZone(zone).getYear();
        long best = Timestamps.NONE;
        // Feb 29 may need to reach back to the last leap year.
        for (int year = thisYear + 1; year >= thisYear - 8; year--) {
            long t = toNanos(year, month, day, hour, minute, second, nanos);
            if (t == Timestamps.NONE || t - nowNanos > DAY_NANOS) {
                continue;
            }
            if (best == Timestamps.NONE || Math.abs(t - nowNanos) < Math.abs(best - nowNanos)) {
                best = t;
            }
            if (t <= nowNanos) {
                break; // earlier years are only further away
            }
        }
        return best;
    }

    private long toNanos(int year, int month, int day, int hour, int minute, int second, int nanos) {
        try {
            int sec = Math.min(second, 59); // a leap second (:60) is held at :59 here
            ZonedDateTime z = LocalDateTime.of(year, month, day, hour, minute, sec, nanos).atZone(zone);
            return Timestamps.secondsToNanos(z.toEpochSecond() + (second - sec), nanos);
        } catch (DateTimeException e) {
            return Timestamps.NONE;
        }
    }

    /** An RFC 3339 word (rsyslog's and systemd's RFC 3164 variant); returns the index after it, or -1. */
    private static int parseIsoTimestamp(String s, int p, LogRecord.Builder b) {
        if (p >= s.length() || !Timestamps.isDigit(s.charAt(p))) {
            return -1;
        }
        int end = tokenEnd(s, p);
        long t = Timestamps.parseDateTime(s, p, end, true);
        if (t == Timestamps.NONE) {
            return -1;
        }
        b.eventTimeNanos(t);
        return end;
    }

    // ---------------------------------------------------------------- shared

    /** The index of the next space at or after {@code p}, or the end. */
    private static int tokenEnd(String s, int p) {
        int i = s.indexOf(' ', p);
        return i < 0 ? s.length() : i;
    }

    /** The message from {@code p}: without a leading BOM and without trailing CR/LF. */
    private static String message(String s, int p) {
        int end = s.length();
        while (end > p && (s.charAt(end - 1) == '\n' || s.charAt(end - 1) == '\r')) {
            end--;
        }
        if (p < end && s.charAt(p) == '\uFEFF') {
            p++;
        }
        return p == 0 && end == s.length() ? s : s.substring(p, end);
    }
}
