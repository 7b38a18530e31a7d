package dev.logpipe.server;

import picocli.CommandLine.IVersionProvider;

/**
 * The version line of {@code logpipe --version}: the jar's Implementation-Version, and the JVM.
 *
 * <p>Threading: stateless, thread-safe.
 */
public final class VersionProvider implements IVersionProvider {

    @Override
    public String[] getVersion() {
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return new String[] {
            "logpipe " + (v == null ? "(development build)" : v),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"
        };
    }
}
