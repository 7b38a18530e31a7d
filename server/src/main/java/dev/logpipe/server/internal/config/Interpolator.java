package dev.logpipe.server.internal.config;

import java.util.Map;
import java.util.function.Function;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in config values with environment variables,
 * as a shell does: {@code :-} also applies when the variable is set but empty. {@code $$} is a
 * literal {@code $}; a {@code $} not followed by <code>{</code> or {@code $} stays as it is.
 *
 * <p>Threading: immutable, thread-safe.
 */
public final class Interpolator {

    private final Function<String, String> env;

    /** An interpolator over {@code env} (name to value; absent = null). */
    public Interpolator(Function<String, String> env) {
        this.env = env;
    }

    /** An interpolator over a fixed map, for tests and for {@code System.getenv()}. */
    public static Interpolator of(Map<String, String> env) {
        return new Interpolator(env::get);
    }

    /**
     * Returns {@code text} with every reference replaced.
     *
     * @throws IllegalArgumentException naming the variable when one is unset and has no default,
     *     or when a reference is not closed
     */
    public String interpolate(String text) {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$' || i + 1 >= text.length()) {
                out.append(c);
                i++;
                continue;
            }
            char next = text.charAt(i + 1);
            if (next == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            if (next != '{') {
                out.append(c);
                i++;
                continue;
            }
            int close = text.indexOf('}', i + 2);
            if (close < 0) {
                throw new IllegalArgumentException("'${' is not closed in '" + text + "'; write ${VAR} or ${VAR:-default} (and $$ for a literal $)");
            }
            String ref = text.substring(i + 2, close);
            int sep = ref.indexOf(":-");
            String name = sep < 0 ? ref : ref.substring(0, sep);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException("'${" + ref + "}' is not a variable reference; write ${VAR} or ${VAR:-default}");
            }
            String value = env.apply(name);
            if (sep >= 0) {
                if (value == null || value.isEmpty()) {
                    value = ref.substring(sep + 2);
                }
            } else if (value == null) {
                throw new IllegalArgumentException("environment variable " + name + " is not set; set it, or write ${" + name + ":-default}");
            }
            out.append(value);
            i = close + 1;
        }
        return out.toString();
    }
}
