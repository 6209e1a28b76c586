package io.taskflow4j.workloads;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.persistence.TaskFlowException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The two benchmark workloads.
 *
 * <ul>
 *   <li><b>chain</b>: a linear flow of tasks {@code t1..tN}; task {@code ti} takes {@code v(i-1)}
 *       and provides {@code vi = v(i-1) + 1}, from {@code v0 = 0} (injected into {@code t1}), so
 *       the last result is N;
 *   <li><b>fanout</b>: an unordered flow of N independent tasks {@code t1..tN}, task {@code ti}
 *       providing {@code vi = i}.
 * </ul>
 *
 * <p>Both take the arguments {@code [n]} or {@code [n, execLog]}: with an exec log (a file path),
 * every execution of a task appends one line with the task's name to that file, written to the
 * operating system before the task returns, so an audit after a hard kill sees every execution that
 * could have been recorded. The path is part of the recorded factory arguments, so a resumed run
 * keeps appending to the same file.
 */
public final class Workloads {

  /** The name of the chain workload. */
  public static final String CHAIN = "chain";

  /** The name of the fan-out workload. */
  public static final String FANOUT = "fanout";

  private Workloads() {}

  /** The factory class of a workload by name ({@link #CHAIN} or {@link #FANOUT}). */
  public static Class<? extends FlowFactory> factory(String workload) {
    return switch (Objects.requireNonNull(workload, "workload")) {
      case CHAIN -> Chain.class;
      case FANOUT -> Fanout.class;
      default ->
          throw new IllegalArgumentException(
              "unknown workload '" + workload + "': use " + CHAIN + " or " + FANOUT);
    };
  }

  /** The chain of {@code n} tasks; {@code execLog} may be null. */
  public static Flow chain(int n, String execLog) {
    checkSize(n);
    ExecLog log = ExecLog.of(execLog);
    LinearFlow flow = LinearFlow.of(CHAIN);
    for (int i = 1; i <= n; i++) {
      String name = "t" + i;
      Task t = new Increment(name, log).rebind(Map.of("x", "v" + (i - 1))).provides("v" + i);
      if (i == 1) {
        t.inject(Map.of("v0", 0L)); // atom-scoped injection is keyed by the rebound name
      }
      flow.add(t);
    }
    return flow;
  }

  /** The fan-out of {@code n} independent tasks; {@code execLog} may be null. */
  public static Flow fanout(int n, String execLog) {
    checkSize(n);
    ExecLog log = ExecLog.of(execLog);
    UnorderedFlow flow = UnorderedFlow.of(FANOUT);
    for (int i = 1; i <= n; i++) {
      flow.add(new Constant("t" + i, i, log).provides("v" + i));
    }
    return flow;
  }

  private static void checkSize(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("a workload needs at least 1 task, not " + n);
    }
  }

  /** The chain as a recorded factory: arguments {@code [n]} or {@code [n, execLog]}. */
  public static final class Chain implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      return chain(size(args), execLog(args));
    }

    @Override
    public String name() {
      return CHAIN;
    }
  }

  /** The fan-out as a recorded factory: arguments {@code [n]} or {@code [n, execLog]}. */
  public static final class Fanout implements FlowFactory {
    @Override
    public Flow create(List<Object> args, Map<String, Object> kwargs) {
      return fanout(size(args), execLog(args));
    }

    @Override
    public String name() {
      return FANOUT;
    }
  }

  private static int size(List<Object> args) {
    if (args.isEmpty() || !(args.get(0) instanceof Number n)) {
      throw new IllegalArgumentException("a workload's first argument is its number of tasks");
    }
    // checked as a double: a long or a fraction must not wrap or round into range
    double d = n.doubleValue();
    if (d < 1 || d > Integer.MAX_VALUE || d != Math.rint(d)) {
      throw new IllegalArgumentException(
          "a workload's number of tasks must be a whole number from 1 to "
              + Integer.MAX_VALUE
              + ", not "
              + n);
    }
    return n.intValue();
  }

  private static String execLog(List<Object> args) {
    return args.size() > 1 && args.get(1) instanceof String s && !s.isEmpty() ? s : null;
  }

  /** Task {@code ti} of the chain: {@code x + 1}. */
  public static final class Increment extends Task {
    private final ExecLog log;

    Increment(String name, ExecLog log) {
      super(name);
      this.log = log;
      requires("x", Long.class);
    }

    @Override
    public Object execute(Arguments args) {
      long x = args.get("x", Long.class);
      log.executed(name());
      return x + 1;
    }
  }

  /** Task {@code ti} of the fan-out: returns {@code i}. */
  public static final class Constant extends Task {
    private final long value;
    private final ExecLog log;

    Constant(String name, long value, ExecLog log) {
      super(name);
      this.value = value;
      this.log = log;
    }

    @Override
    public Object execute(Arguments args) {
      log.executed(name());
      return value;
    }
  }

  /** Appends task names to a file shared by every workload of this process that names it. */
  static final class ExecLog {
    private static final ExecLog NONE = new ExecLog(null);
    private static final Map<Path, FileChannel> OPEN = new ConcurrentHashMap<>();
    private final FileChannel channel;

    private ExecLog(FileChannel channel) {
      this.channel = channel;
    }

    static ExecLog of(String path) {
      if (path == null) {
        return NONE;
      }
      Path p = Path.of(path).toAbsolutePath().normalize();
      return new ExecLog(
          OPEN.computeIfAbsent(
              p,
              k -> {
                try {
                  // Owner-only when this call creates it, as directory stores and exports are:
                  // the log tells what ran, and other local users have no business reading it.
                  Set<StandardOpenOption> options =
                      Set.of(
                          StandardOpenOption.CREATE,
                          StandardOpenOption.WRITE,
                          StandardOpenOption.APPEND);
                  if (k.getFileSystem().supportedFileAttributeViews().contains("posix")) {
                    return FileChannel.open(
                        k,
                        options,
                        PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
                  }
                  return FileChannel.open(k, options);
                } catch (IOException e) {
                  throw new UncheckedIOException("cannot open the exec log " + k, e);
                }
              }));
    }

    void executed(String name) {
      if (channel == null) {
        return;
      }
      ByteBuffer line = ByteBuffer.wrap((name + "\n").getBytes(StandardCharsets.UTF_8));
      try {
        // One write of an O_APPEND channel: the line lands whole, whichever thread writes.
        while (line.hasRemaining()) {
          channel.write(line);
        }
      } catch (IOException e) {
        throw new TaskFlowException("cannot append to the exec log: " + e.getMessage(), e);
      }
    }
  }
}
