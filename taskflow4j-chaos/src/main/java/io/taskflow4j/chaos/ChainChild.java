package io.taskflow4j.chaos;

import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.workloads.Workloads;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The process a {@link KillCampaign} kills: runs (or resumes) the chain workload in one logbook of
 * a backend until the flow ends.
 *
 * <p>Arguments: {@code <connection> <book-name> <tasks> <exec-log>}. The child looks for the
 * logbook by name: without one (or without a flow in it) it starts the chain with {@code
 * Engines.loadFromFactory(Workloads.Chain.class, [tasks, exec-log])}; with one it rebuilds the run
 * from the recorded factory ({@code Engines.loadFromDetail}) and continues it. Before running it
 * appends a marker line {@code #resume <k>} to the exec log, {@code k} being the length of the
 * prefix {@code t1..tk} recorded as SUCCESS (and {@code #extra i,j} for any SUCCESS beyond it), so
 * the audit can tell which executions came after which recorded state.
 *
 * <p>Standard output: {@code started <remaining> <total>} when the engine starts, {@code done
 * <state> <executed> <millis>} when the flow ends. Exit status: 0 when the flow ended SUCCESS, 3
 * when it ended in another state, 2 on an error (its message on standard error).
 */
public final class ChainChild {
  /** The exit status of a run whose flow ended in a state other than SUCCESS. */
  public static final int EXIT_NOT_SUCCESS = 3;

  /** The exit status of a run that failed with an error. */
  public static final int EXIT_ERROR = 2;

  private ChainChild() {}

  /**
   * Runs the child.
   *
   * @param args {@code <connection> <book-name> <tasks> <exec-log>}
   */
  public static void main(String[] args) {
    if (args.length != 4) {
      System.err.println("usage: ChainChild <connection> <book-name> <tasks> <exec-log>");
      System.exit(EXIT_ERROR);
    }
    try {
      System.exit(run(args[0], args[1], Integer.parseInt(args[2]), args[3]));
    } catch (TaskFlowException | IOException | IllegalArgumentException e) {
      System.err.println("chain child failed: " + e);
      System.exit(EXIT_ERROR);
    }
  }

  static int run(String connection, String bookName, int tasks, String execLog) throws IOException {
    try (Backend backend = Backends.open(connection)) {
      return run(backend, bookName, tasks, execLog);
    }
  }

  /**
   * Runs or resumes the chain of logbook {@code bookName} on an open backend (the child's work,
   * also used in-process by the outage tests); returns the exit status.
   */
  static int run(Backend backend, String bookName, int tasks, String execLog) throws IOException {
    long t0 = System.nanoTime();
    LogBook book = null;
    FlowDetail existing = null;
    try (Connection c = backend.getConnection()) {
      for (LogBook b : c.getLogBooks(true)) {
        if (b.name().equals(bookName)) {
          book = b;
          List<FlowDetail> flows = c.getFlowsForBook(b.uuid());
          existing = flows.isEmpty() ? null : flows.get(0);
          break;
        }
      }
    }
    Engine engine;
    int remaining;
    if (existing == null) {
      engine =
          Engines.loadFromFactory(Workloads.Chain.class, List.of(tasks, execLog), Map.of())
              .backend(backend)
              // v0 is also injected into t1; the store copy keeps the chain runnable whichever
              // of the two an engine consults, and is recorded with the flow like the factory
              .store(Map.of("v0", 0))
              .logBook(book != null ? book : LogBook.create(bookName))
              .build();
      mark(execLog, "#resume 0");
      remaining = tasks;
    } else {
      if (existing.state() == FlowState.SUCCESS) {
        System.out.println("started 0 " + tasks);
        System.out.println("done SUCCESS 0 0");
        return 0;
      }
      TreeSet<Integer> done = new TreeSet<>();
      for (AtomDetail ad : existing.atoms()) {
        if (ad.state() == AtomState.SUCCESS && ad.name().matches("t[0-9]+")) {
          done.add(Integer.parseInt(ad.name().substring(1)));
        }
      }
      int prefix = 0;
      while (done.contains(prefix + 1)) {
        prefix++;
      }
      List<String> extra = new ArrayList<>();
      for (int i : done.tailSet(prefix + 1)) {
        extra.add(String.valueOf(i));
      }
      mark(execLog, "#resume " + prefix);
      if (!extra.isEmpty()) {
        mark(execLog, "#extra " + String.join(",", extra));
      }
      remaining = tasks - done.size();
      engine = Engines.loadFromDetail(existing, backend);
    }
    try (engine) {
      System.out.println("started " + remaining + " " + tasks);
      System.out.flush();
      long runStart = System.nanoTime();
      engine.run();
      FlowState state = engine.flowState();
      System.out.println(
          "done "
              + state
              + " "
              + remaining
              + " "
              + (System.nanoTime() - runStart) / 1_000_000
              + " total="
              + (System.nanoTime() - t0) / 1_000_000);
      System.out.flush();
      return state == FlowState.SUCCESS ? 0 : EXIT_NOT_SUCCESS;
    }
  }

  /** Appends one line to the exec log (one append write, like the workload's own lines). */
  private static void mark(String execLog, String line) throws IOException {
    try (FileChannel ch =
        FileChannel.open(
            Path.of(execLog),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND)) {
      ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }
}
