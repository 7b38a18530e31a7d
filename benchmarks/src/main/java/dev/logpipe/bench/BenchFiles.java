package dev.logpipe.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files of the benchmark programs: each removes the journals it wrote, so repeated runs do not
 * fill the temporary directory (a forwarder run leaves about 100 MiB).
 *
 * <p>Threading: stateless.
 */
final class BenchFiles {

    private BenchFiles() {
    }

    /**
     * Deletes {@code dir} and everything under it; nothing if it does not exist. A failure is printed,
     * not thrown, so it never hides a run's result or error.
     */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // Gone already.
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
