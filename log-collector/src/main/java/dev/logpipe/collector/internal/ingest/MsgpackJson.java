package dev.logpipe.collector.internal.ingest;

import org.msgpack.value.ExtensionValue;
import org.msgpack.value.MapValue;
import org.msgpack.value.Value;

import java.util.Map;

/**
 * A msgpack value's JSON text: msgpack-java's {@code Value.toJson}, except for extension values, which
 * it writes as {@code [type,"hex"]} with each byte's signed value in hex without padding (bytes
 * {@code 65 53 f1 00} come out as {@code "6553-f00"}, which nothing can decode back). Here the bytes are
 * two lowercase hex digits each, unsigned: {@code [0,"6553f100"]}. Timestamps (type -1) stay as
 * msgpack-java writes them. {@link FluentEntryEncoder} writes the same text from the bytes.
 *
 * <p>Threading: stateless.
 */
final class MsgpackJson {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private MsgpackJson() {
    }

    static String of(Value v) {
        StringBuilder sb = new StringBuilder();
        append(sb, v);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Value v) {
        if (v.isExtensionValue() && !v.isTimestampValue()) {
            ExtensionValue x = v.asExtensionValue();
            sb.append('[').append(x.getType()).append(",\"");
            for (byte b : x.getData()) {
                sb.append(HEX[(b >> 4) & 0xf]).append(HEX[b & 0xf]);
            }
            sb.append("\"]");
        } else if (v.isArrayValue()) {
            sb.append('[');
            boolean first = true;
            for (Value e : v.asArrayValue()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                append(sb, e);
            }
            sb.append(']');
        } else if (v.isMapValue()) {
            MapValue m = v.asMapValue();
            sb.append('{');
            boolean first = true;
            for (Map.Entry<Value, Value> e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                Value k = e.getKey();
                // keys as msgpack-java writes them: a string as itself, anything else as its JSON text, quoted
                sb.append(k.isRawValue() ? k.toJson() : org.msgpack.value.ValueFactory.newString(of(k)).toJson());
                sb.append(':');
                append(sb, e.getValue());
            }
            sb.append('}');
        } else {
            sb.append(v.toJson());
        }
    }
}
