package dev.logpipe.collector.internal.ingest;

/**
 * One connection's last token per slot: a sender repeats its host, app name, procid, msgid and
 * structured-data names on every frame, so a token equal to the one last seen in its slot is reused
 * instead of copied. Fewer strings per record, and the journal writer reads the same few strings
 * again and again instead of fresh ones another core just wrote.
 *
 * <p>Bounded: one string per slot, and only tokens of at most {@link #MAX_CHARS} chars are kept.
 * Threading: confined to its parser, so to one connection's event loop.
 */
final class TokenCache {

    /** Longer tokens are copied and not kept: they are rarely repeated, and the compare would cost more. */
    static final int MAX_CHARS = 64;

    private final String[] last;

    TokenCache(int slots) {
        this.last = new String[slots];
    }

    /** {@code s.substring(from, to)}, or the equal string last returned for {@code slot}. */
    String token(int slot, String s, int from, int to) {
        int len = to - from;
        if (len > MAX_CHARS || slot >= last.length) {
            return s.substring(from, to);
        }
        String c = last[slot];
        if (c != null && c.length() == len && s.regionMatches(from, c, 0, len)) {
            return c;
        }
        c = s.substring(from, to);
        last[slot] = c;
        return c;
    }

    /**
     * The structured-data field name {@code "sd." + ID + "." + name} for the ID
     * {@code s[idFrom, idTo)} and the PARAM name {@code s[nameFrom, nameTo)}, or the equal string last
     * returned for {@code slot}.
     */
    String sdName(int slot, String s, int idFrom, int idTo, int nameFrom, int nameTo) {
        int idLen = idTo - idFrom;
        int nameLen = nameTo - nameFrom;
        int len = 3 + idLen + 1 + nameLen;
        if (len <= MAX_CHARS && slot < last.length) {
            String c = last[slot];
            if (c != null && c.length() == len && c.startsWith("sd.")
                    && c.regionMatches(3, s, idFrom, idLen) && c.charAt(3 + idLen) == '.'
                    && c.regionMatches(4 + idLen, s, nameFrom, nameLen)) {
                return c;
            }
        }
        String c = new StringBuilder(len).append("sd.").append(s, idFrom, idTo).append('.')
                .append(s, nameFrom, nameTo).toString();
        if (len <= MAX_CHARS && slot < last.length) {
            last[slot] = c;
        }
        return c;
    }
}
