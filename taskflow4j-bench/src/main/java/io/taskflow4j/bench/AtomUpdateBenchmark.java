package io.taskflow4j.bench;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@code updateAtomDetails} of a task detail (state, result and meta change), the write an
 * engine makes per task transition, on each built-in backend. The caller keeps the returned value,
 * as an engine does, so every write is revision-checked without a read.
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar AtomUpdateBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AtomUpdateBenchmark {

  /** {@code memory}, {@code dir-power} (fsync'd, the default) or {@code dir-process}. */
  @Param({"memory", "dir-power", "dir-process"})
  public String store;

  private Path dir;
  private Backend backend;
  private Connection conn;
  private AtomDetail atom;
  private long counter;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    switch (store) {
      case "memory" -> backend = Backends.open("memory://");
      case "dir-power", "dir-process" -> {
        dir = Files.createTempDirectory("tf4j-bench");
        String durability = store.substring(4);
        backend = Backends.open(Map.of("connection", "dir://" + dir, "durability", durability));
      }
      default -> throw new IllegalArgumentException("unknown store " + store);
    }
    conn = backend.getConnection();
    TaskDetail td = TaskDetail.create("task-1");
    FlowDetail fd = FlowDetail.create("flow").withAtom(td);
    LogBook book = conn.saveLogBook(LogBook.create("bench").withFlow(fd));
    atom = book.flows().get(0).atoms().get(0);
  }

  @Benchmark
  public AtomDetail updateAtom() {
    long n = ++counter;
    AtomDetail next =
        (n & 1) == 0
            ? atom.withState(AtomState.RUNNING).withMetaEntries(Map.of("progress", 0.0))
            : atom.put(AtomState.SUCCESS, n).withMetaEntries(Map.of("progress", 1.0));
    atom = conn.updateAtomDetails(next);
    return atom;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    conn.close();
    backend.close();
    if (dir != null) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
