package io.taskflow4j.chaos;

import io.taskflow4j.Task;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The flow the multi-process conductor tests run ({@link ConductorChild}): a linear flow of tasks
 * {@code t1..tN}. Each task, when executed, first appends the line {@code "<conductor> <task> <job
 * key> <epoch millis>"} to a witness file shared by every process, then sleeps, then returns the
 * conductor's name as its result. The witness is independent of the logbook: it shows every
 * execution that started, also of tasks whose result never landed.
 *
 * <p>Arguments: {@code [tasks, sleepMillis, witnessPath, jobKey]} ({@link #args}); the job key
 * names the job in the witness (one key per posted job). Lines are single {@code O_APPEND} writes:
 * once a write returned, the line survives a SIGKILL of the writer (it is in the kernel's page
 * cache); they are not forced to disk, since the tests kill processes, not the machine.
 */
public final class WitnessFlow implements FlowFactory {
  /** The factory's short name. */
  public static final String NAME = "witness";

  /** The system property naming the conductor when the factory is made by its class name. */
  public static final String CONDUCTOR_PROPERTY = "taskflow4j.witness.conductor";

  private static final Map<Path, FileChannel> FILES = new ConcurrentHashMap<>();

  private final String conductor;

  /** A factory whose tasks report the conductor named by {@link #CONDUCTOR_PROPERTY}. */
  public WitnessFlow() {
    this(System.getProperty(CONDUCTOR_PROPERTY, "unnamed"));
  }

  /** A factory whose tasks report {@code conductor} as their executor and result. */
  public WitnessFlow(String conductor) {
    Objects.requireNonNull(conductor, "conductor");
    if (conductor.isBlank() || conductor.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException(
          "conductor name must be one word, not '" + conductor + "'");
    }
    this.conductor = conductor;
  }

  /** The factory arguments of a job: its tasks, their sleep, the witness file and the job key. */
  public static List<Object> args(int tasks, long sleepMillis, Path witness, String jobKey) {
    return List.of(tasks, sleepMillis, witness.toAbsolutePath().toString(), jobKey);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Flow create(List<Object> args, Map<String, Object> kwargs) {
    if (args.size() != 4) {
      throw new IllegalArgumentException(
          "witness flow arguments are [tasks, sleepMillis, witnessPath, jobKey], not " + args);
    }
    int tasks = ((Number) args.get(0)).intValue();
    long sleep = ((Number) args.get(1)).longValue();
    Path witness = Path.of((String) args.get(2));
    String key = (String) args.get(3);
    Flow flow = LinearFlow.of(NAME);
    for (int i = 1; i <= tasks; i++) {
      String task = "t" + i;
      flow.add(
          Task.of(
              task,
              () -> {
                append(
                    witness, conductor + " " + task + " " + key + " " + System.currentTimeMillis());
                if (sleep > 0) {
                  Thread.sleep(sleep);
                }
                return conductor;
              }));
    }
    return flow;
  }

  private static void append(Path file, String line) {
    ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
    FileChannel ch =
        FILES.computeIfAbsent(
            file,
            f -> {
              try {
                return FileChannel.open(
                    f,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
              } catch (IOException e) {
                throw new UncheckedIOException("cannot open the witness file " + f, e);
              }
            });
    try {
      // one write call per line: with O_APPEND the lines of all processes never interleave
      synchronized (ch) {
        while (b.hasRemaining()) {
          ch.write(b);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the witness file " + file, e);
    }
  }

  /**
   * One line of a witness file.
   *
   * @param conductor who executed the task
   * @param task the task's name ({@code t1..tN})
   * @param jobKey the job's key
   * @param millis when the execution started (epoch milliseconds)
   */
  public record Line(String conductor, String task, String jobKey, long millis) {
    /** Parses a witness line. */
    public static Line parse(String s) {
      String[] f = s.split(" ");
      if (f.length != 4) {
        throw new IllegalArgumentException("not a witness line: '" + s + "'");
      }
      return new Line(f[0], f[1], f[2], Long.parseLong(f[3]));
    }
  }
}
