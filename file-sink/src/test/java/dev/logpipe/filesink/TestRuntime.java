package dev.logpipe.filesink;

import dev.logpipe.runtime.TaskRuntime;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A small {@link TaskRuntime} per test (2 workers, up to 4 blocking threads), shut down after it:
 * {@code @RegisterExtension final TestRuntime runtime = new TestRuntime();}, then {@code runtime.get()}.
 *
 * <p>Threading: JUnit calls the callbacks on the test's thread; {@link #get()} from any thread.
 */
final class TestRuntime implements BeforeEachCallback, AfterEachCallback {

    private volatile TaskRuntime runtime;

    @Override
    public void beforeEach(ExtensionContext context) {
        runtime = TaskRuntime.builder().workerThreads(2).maxBlockingThreads(4).threadNamePrefix("test").build();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        runtime.shutdown(Duration.ofSeconds(5));
    }

    TaskRuntime get() {
        return runtime;
    }
}
