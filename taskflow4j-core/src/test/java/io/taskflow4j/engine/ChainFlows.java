package io.taskflow4j.engine;

import io.taskflow4j.Task;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Flow factories used by the factory and crash tests: a chain of {@code n} tasks, task {@code i}
 * adding one to {@code v<i-1>}, each appending its name to an execution log (with fsync) so a test
 * can tell what ran, even in a process that was killed.
 */
public final class ChainFlows implements FlowFactory {

  /** As a {@link FlowFactory}: args {@code [n]}, kwargs {@code {log: path, sleep_ms: m}}. */
  @Override
  public Flow create(List<Object> args, Map<String, Object> kwargs) {
    int n = ((Number) args.get(0)).intValue();
    String log = (String) kwargs.get("log");
    long sleepMs = kwargs.get("sleep_ms") instanceof Number s ? s.longValue() : 0;
    return chain(n, log, sleepMs);
  }

  /** As a static factory method taking typed positional arguments. */
  public static Flow chain(int n, String log, long sleepMs) {
    LinearFlow flow = LinearFlow.of("chain");
    for (int i = 1; i <= n; i++) {
      String name = "t" + i;
      flow.add(
          Task.of(
                  name,
                  Integer.class,
                  v -> {
                    if (log != null && !log.isEmpty()) {
                      append(Path.of(log), name + "\n");
                    }
                    if (sleepMs > 0) {
                      Thread.sleep(sleepMs);
                    }
                    return v + 1;
                  })
              .requires("x")
              .rebind("v" + (i - 1))
              .provides("v" + i));
    }
    return flow;
  }

  /** A factory that always fails (for the error test). */
  public static Flow broken(List<Object> args, Map<String, Object> kwargs) {
    throw new IllegalStateException("factory is broken");
  }

  static synchronized void append(Path file, String line) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
  }
}
