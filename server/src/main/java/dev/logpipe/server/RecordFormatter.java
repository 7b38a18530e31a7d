package dev.logpipe.server;

import dev.logpipe.filesink.FieldValue;
import dev.logpipe.filesink.Level;
import dev.logpipe.filesink.LogRecord;
import dev.logpipe.filesink.ReadRecord;
import dev.logpipe.filesink.RecordJson;
import dev.logpipe.filesink.RecordFlag;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Formats records for {@code logpipe tail}: an aligned, readable line ({@link #text}) or one JSON
 * object with every field the record holds ({@link #json}).
 *
 * <p>Text columns: event time (UTC, milliseconds), level, service, host, message, then the fields
 * as {@code key=value} and any flags in brackets. The service and host columns widen to the widest
 * value seen so far (up to a cap), so a stream stays aligned without reading ahead.
 *
 * <p>Threading: confined (it remembers column widths and the last second it wrote).
 */
final class RecordFormatter {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final int MAX_COLUMN = 24;
    private static final String RESET = "\u001b[0m";

    private final boolean color;
    private int serviceWidth = 1;
    private int hostWidth = 1;
    /** The last second {@link #appendTime} wrote, as {@link #SECOND} text: records come many to a second. */
    private long cachedSecond = Long.MIN_VALUE;
    private String cachedSecondText = "";

    RecordFormatter(boolean color) {
        this.color = color;
    }

    /** One aligned line, without the line break. */
    String text(ReadRecord rr) {
        LogRecord r = rr.record();
        StringBuilder sb = new StringBuilder(96 + r.message().length());
        appendTime(sb, r.eventTimeNanos()).append(' ');
        String level = r.level() == Level.UNSET ? "-" : r.level().name();
        if (color) {
            sb.append(levelColor(r.level()));
        }
        pad(sb, level, 5);
        if (color) {
            sb.append(RESET);
        }
        sb.append(' ');
        String service = r.service().isEmpty() ? "-" : oneLine(r.service());
        String host = r.host().isEmpty() ? "-" : oneLine(r.host());
        serviceWidth = Math.min(MAX_COLUMN, Math.max(serviceWidth, service.length()));
        hostWidth = Math.min(MAX_COLUMN, Math.max(hostWidth, host.length()));
        pad(sb, service, serviceWidth).append(' ');
        pad(sb, host, hostWidth).append("  ");
        appendOneLine(sb, r.message());
        for (int i = 0; i < r.fieldCount(); i++) {
            sb.append(' ');
            appendOneLine(sb, r.fieldName(i));
            sb.append('=');
            FieldValue v = r.fieldValue(i);
            // JSON text escapes line breaks but not every character a terminal acts on (DEL, C1, U+2028)
            appendOneLine(sb, v.json() || isBare(v.text()) ? v.text() : v.toJson());
        }
        for (RecordFlag flag : r.flags()) {
            sb.append(" [").append(flag.name()).append(']');
        }
        return sb.toString();
    }

    /** Appends {@code epochNanos} as {@link #TIME} writes it, formatting only a new second. */
    StringBuilder appendTime(StringBuilder sb, long epochNanos) {
        long second = Math.floorDiv(epochNanos, 1_000_000_000L);
        int millis = (int) (Math.floorMod(epochNanos, 1_000_000_000L) / 1_000_000);
        if (second != cachedSecond) {
            cachedSecondText = SECOND.format(Instant.ofEpochSecond(second));
            cachedSecond = second;
        }
        return sb.append(cachedSecondText).append('.')
                .append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10)).append((char) ('0' + millis % 10))
                .append('Z');
    }

    /** One JSON object with every field of the record and its index, without the line break. */
    String json(ReadRecord rr) {
        return RecordJson.of(rr);
    }

    /** The event time column, for tests and messages. */
    static String time(Instant t) {
        return TIME.format(t);
    }

    private static StringBuilder pad(StringBuilder sb, String s, int width) {
        sb.append(s);
        for (int i = s.length(); i < width; i++) {
            sb.append(' ');
        }
        return sb;
    }

    /**
     * Appends {@code s} with line breaks and other control characters escaped, so one record stays one
     * line and no terminal escape passes through: C0, DEL, C1 (U+0085 is a line break to some, U+009B a
     * terminal's CSI) and the Unicode line and paragraph separators.
     */
    private static void appendOneLine(StringBuilder sb, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (escaped(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
    }

    private static boolean escaped(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
    }

    /** {@code s} as {@link #appendOneLine} writes it (itself when nothing needs escaping). */
    static String oneLine(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (escaped(s.charAt(i))) {
                StringBuilder sb = new StringBuilder(s.length() + 16);
                appendOneLine(sb, s);
                return sb.toString();
            }
        }
        return s;
    }

    private static boolean isBare(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c == '"' || c == '=' || escaped(c)) {
                return false;
            }
        }
        return true;
    }

    private static String levelColor(Level level) {
        return switch (level) {
            case TRACE, DEBUG -> "\u001b[2m";   // dim
            case INFO -> "\u001b[32m";          // green
            case WARN -> "\u001b[33m";          // yellow
            case ERROR -> "\u001b[31m";         // red
            case FATAL -> "\u001b[1;31m";       // bold red
            case UNSET -> "";
        };
    }
}
