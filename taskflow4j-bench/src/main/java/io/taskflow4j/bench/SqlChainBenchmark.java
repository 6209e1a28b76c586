package io.taskflow4j.bench;

import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
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
 * TaskFlow's chain workload on a SQLite file: a linear chain of {@code n} tasks (task {@code i}
 * adds one to {@code v<i-1>}) run by the serial engine, every state change written to the file.
 * TaskFlow needs about 51 s for {@code n = 1000} on a SQLite file. Scores are milliseconds per
 * whole run (new logbook, flow detail, {@code n} atom details, about two writes per task); divide
 * by {@code n} for the cost per task.
 *
 * <ul>
 *   <li>{@code sqlite-power}: the default durability, every commit on disk ({@code
 *       synchronous=FULL}).
 *   <li>{@code sqlite-process}: commits survive a crash of the application only ({@code
 *       synchronous=NORMAL}).
 * </ul>
 *
 * <p>Run: {@code java -jar taskflow4j-bench/target/benchmarks.jar SqlChainBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SqlChainBenchmark {

  @Param({"sqlite-power", "sqlite-process"})
  public String store;

  @Param({"1000"})
  public int n;

  private Path dir;
  private Backend backend;
  private Connection conn;
  private Flow flow;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    String durability =
        switch (store) {
          case "sqlite-power" -> "power";
          case "sqlite-process" -> "process";
          default -> throw new IllegalArgumentException("unknown store " + store);
        };
    dir = Files.createTempDirectory("tf4j-bench");
    // Four slashes: SQLAlchemy's form of an absolute path, as TaskFlow is given it.
    backend =
        Backends.open(
            "sqlite:///" + dir.resolve("chain.db").toAbsolutePath() + "?durability=" + durability);
    conn = backend.getConnection();
  }

  @Setup(Level.Invocation)
  public void newFlow() {
    flow = EngineBenchmark.chain(n);
  }

  /** A fresh run recorded in a new logbook, as {@code taskflow.engines.run(flow, backend=...)}. */
  @Benchmark
  public Object chain() {
    Map<String, Object> out = Engines.load(flow).store(EngineBenchmark.V0).backend(backend).run();
    if (!(out.get("v" + n) instanceof Number v) || v.longValue() != n) {
      throw new IllegalStateException("the chain computed " + out.get("v" + n) + ", not " + n);
    }
    return out;
  }

  /** Keeps the file at the same size from one iteration to the next. */
  @TearDown(Level.Iteration)
  public void clear() {
    conn.clearAll();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    conn.close();
    backend.close();
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
