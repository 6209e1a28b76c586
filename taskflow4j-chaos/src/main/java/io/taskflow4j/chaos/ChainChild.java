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
import io.taskflow4j.persistence.jdbc.JdbcBackendProvider;
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
 *
 * <p><b>Parallel fan-out.</b> With a fifth argument {@code fanout=W} the child runs the fan-out
 * workload instead ({@code Workloads.Fanout}, N independent tasks, with the same exec log) on a
 * parallel engine of W workers, resumed likewise; {@code #resume k} and {@code #extra i,j} then
 * name the tasks recorded SUCCESS, in any order. Its workers share the backend's group commits, so
 * it prints {@code groups <groups> <writes>} lines as concurrent chains do (below).
 *
 * <p><b>Concurrent chains.</b> With a fifth argument {@code K >= 2} ({@code <connection>
 * <book-name> <tasks> <exec-log> <K>}) the child runs K chains at once on ONE backend: chain {@code
 * k} (1..K) in logbook {@code <book-name>-k} with exec log {@code <exec-log>-k}, each by its own
 * serial engine in its own thread, so their writes meet in the SQL backend's group commit. Each
 * chain is prepared (found or created, its {@code #resume} marker written to its own exec log) one
 * after the other before any engine runs; a chain already SUCCESS is not run again. {@code started
 * <remaining> <total>} then counts the tasks of all chains; while the engines run, the child prints
 * {@code groups <groups> <writes>} (the backend's group commit counts, when it has one) every 100
 * ms and once more at the end; {@code done <states> ...} when every chain ended. Exit status 0 when
 * every chain ended SUCCESS, 3 when one ended in another state, 2 on an error. {@code K = 1} is the
 * single chain above.
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
    if (args.length != 4 && args.length != 5) {
      System.err.println(
          "usage: ChainChild <connection> <book-name> <tasks> <exec-log> [<chains>|fanout=<W>]");
      System.exit(EXIT_ERROR);
    }
    try {
      if (args.length == 5 && args[4].startsWith(KillCampaign.FAN_OUT_ARG)) {
        int workers = Integer.parseInt(args[4].substring(KillCampaign.FAN_OUT_ARG.length()));
        if (workers < 1) {
          throw new IllegalArgumentException("fan-out workers must be >= 1, not " + workers);
        }
        try (Backend backend = Backends.open(args[0])) {
          System.exit(run(backend, args[1], Integer.parseInt(args[2]), args[3], workers));
        }
      }
      int chains = args.length == 5 ? Integer.parseInt(args[4]) : 1;
      if (chains < 1) {
        throw new IllegalArgumentException("chains must be >= 1, not " + chains);
      }
      System.exit(
          chains == 1
              ? run(args[0], args[1], Integer.parseInt(args[2]), args[3])
              : runChains(args[0], args[1], Integer.parseInt(args[2]), args[3], chains));
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

  static int runChains(String connection, String bookName, int tasks, String execLog, int chains)
      throws IOException {
    try (Backend backend = Backends.open(connection)) {
      return runChains(backend, bookName, tasks, execLog, chains);
    }
  }

  /** The logbook name of chain {@code k} (1-based) of a concurrent-chains run. */
  static String chainBook(String bookName, int k) {
    return bookName + "-" + k;
  }

  /** The exec log of chain {@code k} (1-based) of a concurrent-chains run. */
  static String chainLog(String execLog, int k) {
    return execLog + "-" + k;
  }

  /**
   * Runs or resumes {@code chains} chains at once on one open backend, each by its own engine in
   * its own thread (see the class comment); returns the exit status.
   */
  static int runChains(Backend backend, String bookName, int tasks, String execLog, int chains)
      throws IOException {
    long t0 = System.nanoTime();
    List<Prepared> prepared = new ArrayList<>();
    int remaining = 0;
    try {
      for (int k = 1; k <= chains; k++) {
        Prepared p = prepare(backend, chainBook(bookName, k), tasks, chainLog(execLog, k));
        prepared.add(p);
        remaining += p.remaining;
      }
      System.out.println("started " + remaining + " " + (long) tasks * chains);
      System.out.flush();
      long runStart = System.nanoTime();
      FlowState[] states = new FlowState[chains];
      Throwable[] errors = new Throwable[chains];
      List<Thread> threads = new ArrayList<>();
      for (int k = 0; k < chains; k++) {
        Prepared p = prepared.get(k);
        if (p.engine == null) {
          states[k] = FlowState.SUCCESS;
          continue;
        }
        int i = k;
        Thread t =
            new Thread(
                () -> {
                  try {
                    p.engine.run();
                    states[i] = p.engine.flowState();
                  } catch (Throwable e) { // reported below, after every chain ended
                    errors[i] = e;
                  }
                },
                "chain-" + (k + 1));
        threads.add(t);
      }
      Thread reporter = startGroupReporter(backend);
      threads.forEach(Thread::start);
      for (Thread t : threads) {
        t.join();
      }
      if (reporter != null) {
        reporter.interrupt();
        reporter.join();
      }
      printGroups(backend);
      boolean failed = false;
      for (int k = 0; k < chains; k++) {
        if (errors[k] != null) {
          System.err.println("chain child failed: chain " + (k + 1) + ": " + errors[k]);
          failed = true;
        }
      }
      if (failed) {
        return EXIT_ERROR;
      }
      StringBuilder st = new StringBuilder();
      boolean allSuccess = true;
      for (int k = 0; k < chains; k++) {
        st.append(k == 0 ? "" : ",").append(states[k]);
        allSuccess &= states[k] == FlowState.SUCCESS;
      }
      printDone(st, remaining, runStart, t0);
      return allSuccess ? 0 : EXIT_NOT_SUCCESS;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      for (Prepared p : prepared) {
        if (p.engine != null) {
          p.engine.close();
        }
      }
    }
  }

  /**
   * A daemon printing the backend's group commit counts every 100 ms, or null when the backend has
   * no group commit.
   */
  private static Thread startGroupReporter(Backend backend) {
    if (groupCounts(backend) == null) {
      return null;
    }
    Thread t =
        new Thread(
            () -> {
              try {
                while (!Thread.currentThread().isInterrupted()) {
                  Thread.sleep(100);
                  printGroups(backend);
                }
              } catch (InterruptedException e) {
                // the run ended
              }
            },
            "group-reporter");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void printGroups(Backend backend) {
    long[] c = groupCounts(backend);
    if (c != null) {
      System.out.println("groups " + c[0] + " " + c[1]);
      System.out.flush();
    }
  }

  /**
   * The SQL backend's group commit counts {@code [groups, writes]}, or null for a backend without
   * group commit.
   */
  static long[] groupCounts(Backend backend) {
    return JdbcBackendProvider.groupCommitStats(backend)
        .map(s -> new long[] {s.groups(), s.writes()})
        .orElse(null);
  }

  /** A chain ready to run: its engine (null when the flow already ended SUCCESS) and tasks left. */
  private record Prepared(Engine engine, int remaining) {}

  /**
   * Finds or creates the chain of logbook {@code bookName}, writes its {@code #resume} marker and
   * builds its engine (not run yet).
   */
  private static Prepared prepare(Backend backend, String bookName, int tasks, String execLog)
      throws IOException {
    return prepare(backend, bookName, tasks, execLog, 0);
  }

  /** As above; with {@code workers > 0}, the fan-out workload on that many parallel workers. */
  private static Prepared prepare(
      Backend backend, String bookName, int tasks, String execLog, int workers) throws IOException {
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
    if (existing == null && workers > 0) {
      engine =
          Engines.loadFromFactory(Workloads.Fanout.class, List.of(tasks, execLog), Map.of())
              .backend(backend)
              .parallel(workers)
              .logBook(book != null ? book : LogBook.create(bookName))
              .build();
      mark(execLog, "#resume 0");
      remaining = tasks;
    } else if (existing == null) {
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
        return new Prepared(null, 0);
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
      engine =
          workers > 0
              ? Engines.loadFromDetail(existing).backend(backend).parallel(workers).build()
              : Engines.loadFromDetail(existing, backend);
    }
    return new Prepared(engine, remaining);
  }

  /**
   * Runs or resumes the chain of logbook {@code bookName} on an open backend (the child's work,
   * also used in-process by the outage tests); returns the exit status.
   */
  static int run(Backend backend, String bookName, int tasks, String execLog) throws IOException {
    return run(backend, bookName, tasks, execLog, 0);
  }

  /** As above; with {@code workers > 0}, the fan-out workload on that many parallel workers. */
  static int run(Backend backend, String bookName, int tasks, String execLog, int workers)
      throws IOException {
    long t0 = System.nanoTime();
    Prepared p = prepare(backend, bookName, tasks, execLog, workers);
    if (p.engine == null) {
      System.out.println("started 0 " + tasks);
      System.out.println("done SUCCESS 0 0");
      return 0;
    }
    int remaining = p.remaining;
    try (Engine engine = p.engine) {
      System.out.println("started " + remaining + " " + tasks);
      System.out.flush();
      long runStart = System.nanoTime();
      // The fan-out's workers share group commits: report them as concurrent chains do.
      Thread reporter = workers > 0 ? startGroupReporter(backend) : null;
      engine.run();
      if (reporter != null) {
        reporter.interrupt();
        try {
          reporter.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        printGroups(backend);
      }
      FlowState state = engine.flowState();
      printDone(state, remaining, runStart, t0);
      return state == FlowState.SUCCESS ? 0 : EXIT_NOT_SUCCESS;
    }
  }

  /** The line {@code done <state(s)> <remaining> <run ms> total=<ms>} the campaign reads. */
  private static void printDone(Object states, int remaining, long runStart, long t0) {
    System.out.println(
        "done "
            + states
            + " "
            + remaining
            + " "
            + (System.nanoTime() - runStart) / 1_000_000
            + " total="
            + (System.nanoTime() - t0) / 1_000_000);
    System.out.flush();
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
