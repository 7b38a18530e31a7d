package dev.logpipe.otlp.internal;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites a protobuf {@code LogRecord}, {@code Resource} or {@code InstrumentationScope} whose strings
 * are not all well-formed UTF-8, with U+FFFD in place of the bad bytes, so that its records can be
 * decoded and stored flagged instead of refused.
 *
 * <p>Protobuf requires proto3 {@code string} fields to be UTF-8 and protobuf-java's parser refuses a
 * message that breaks this; the OpenTelemetry Collector does not check, and an SDK that takes bytes
 * for strings (Go's) can send such a record. Without this, one such record made the whole request a
 * 400, and a 400 is not retried: every record of the request was lost to the sender.
 *
 * <p>It walks the message by the OTLP schema (the string fields of {@code LogRecord}, {@code Resource},
 * {@code InstrumentationScope}, {@code AnyValue}, {@code KeyValue}, {@code ArrayValue} and
 * {@code KeyValueList}, the messages they nest, up to {@link #MAX_DEPTH} deep), copying every other
 * field as it is, in order. It does not validate anything else: what it returns is decoded by the
 * generated parser, which still refuses what is malformed.
 *
 * <p>Threading: stateless.
 */
final class Utf8Repair {

    /**
     * Nesting it repairs at most; deeper, it gives up (the request is refused, as before). Each level
     * holds a copy of what it nests while it is rewritten, so a 1 MiB record holds at most this many
     * MiB here; real attribute values nest a few levels.
     */
    static final int MAX_DEPTH = 16;

    /** The message types walked, and which of their fields are strings and which are messages. */
    enum Type {
        LOG_RECORD, RESOURCE, SCOPE, ANY_VALUE, ARRAY_VALUE, KEY_VALUE_LIST, KEY_VALUE;

        /** Whether {@code field} of this type is a {@code string}. */
        boolean isString(int field) {
            return switch (this) {
                case LOG_RECORD -> field == 3 || field == 12; // severity_text, event_name
                case SCOPE -> field == 1 || field == 2; // name, version
                case RESOURCE -> false;
                case ANY_VALUE -> field == 1; // string_value
                case KEY_VALUE -> field == 1; // key
                case ARRAY_VALUE, KEY_VALUE_LIST -> false;
            };
        }

        /** The type of message {@code field} of this type holds, or null when it holds none. */
        Type messageAt(int field) {
            return switch (this) {
                case LOG_RECORD -> field == 5 ? ANY_VALUE : field == 6 ? KEY_VALUE : null; // body, attributes
                case RESOURCE -> field == 1 ? KEY_VALUE : null; // attributes
                case SCOPE -> field == 3 ? KEY_VALUE : null; // attributes
                case ANY_VALUE -> field == 5 ? ARRAY_VALUE : field == 6 ? KEY_VALUE_LIST : null;
                case ARRAY_VALUE -> field == 1 ? ANY_VALUE : null;
                case KEY_VALUE_LIST -> field == 1 ? KEY_VALUE : null;
                case KEY_VALUE -> field == 2 ? ANY_VALUE : null;
            };
        }
    }

    private Utf8Repair() {
    }

    /**
     * The protobuf message of {@code type} at {@code message} (position to limit, not moved) with every
     * string field that is not well-formed UTF-8 replaced by its U+FFFD form; null when it has no
     * such field (its parse failed for another reason) or when it is too malformed to walk.
     */
    static byte[] repair(ByteBuffer message, Type type) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(message.remaining() + 16);
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            boolean repaired = copy(message.slice(), type, out, 0);
            out.flush();
            return repaired ? bytes.toByteArray() : null;
        } catch (IOException e) {
            return null; // malformed: let the parser's own error stand
        }
    }

    /** Copies {@code message} of {@code type} to {@code out}; returns whether a string was repaired. */
    private static boolean copy(ByteBuffer message, Type type, CodedOutputStream out, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new InvalidProtocolBufferException("nested too deep");
        }
        boolean repaired = false;
        CodedInputStream in = CodedInputStream.newInstance(message);
        for (int tag; (tag = in.readTag()) != 0; ) {
            int field = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED
                    || !type.isString(field) && type.messageAt(field) == null) {
                if (!in.skipField(tag, out)) { // copies the field as it is
                    throw new InvalidProtocolBufferException("an end-group tag where a field was expected");
                }
                continue;
            }
            int length = in.readRawVarint32();
            int start = in.getTotalBytesRead();
            if (length < 0 || length > message.limit() - start) {
                throw new InvalidProtocolBufferException("a field longer than what remains");
            }
            ByteBuffer value = message.duplicate().position(start).limit(start + length).slice();
            in.skipRawBytes(length);
            if (type.isString(field)) {
                if (UnsafeByteOperations.unsafeWrap(value).isValidUtf8()) {
                    out.writeByteBuffer(field, value);
                } else {
                    byte[] raw = new byte[value.remaining()];
                    value.get(raw);
                    out.writeString(field, new String(raw, StandardCharsets.UTF_8)); // U+FFFD for the bad bytes
                    repaired = true;
                }
            } else {
                ByteArrayOutputStream nested = new ByteArrayOutputStream(length + 8);
                CodedOutputStream nestedOut = CodedOutputStream.newInstance(nested);
                repaired |= copy(value, type.messageAt(field), nestedOut, depth + 1);
                nestedOut.flush();
                out.writeByteArray(field, nested.toByteArray());
            }
        }
        return repaired;
    }
}
