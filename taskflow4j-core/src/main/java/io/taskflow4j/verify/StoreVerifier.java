package io.taskflow4j.verify;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Checks that a store is consistent, reading it only: every logbook, flow detail and atom detail
 * parses; every link resolves (a flow detail listed in a book can be read on its own, and so can an
 * atom detail listed in a flow detail); no record is reachable twice; every atom's state agrees
 * with its results and failures ({@code SUCCESS} without a failure, {@code FAILURE} with one...)
 * and every flow's state with its atoms' ({@code SUCCESS} only when no atom is left running, failed
 * or pending). The checks use only the {@link Connection} API, so they work on every backend;
 * backend-specific {@link RawStoreInspector}s add what that API cannot see, such as records no
 * parent links to and leftovers of interrupted writes; every backend, the directory backend
 * included, registers its own with {@link ServiceLoader}. Leftovers that readers skip and the store
 * removes by itself are {@link Problem.Severity#NOTE notes}: {@link Report#ok()} is true despite
 * them.
 *
 * <pre>{@code
 * Report report = StoreVerifier.verify("dir:///var/lib/app/flows");
 * if (!report.ok()) {
 *   System.err.println(report); // the errors, and the notes beside them
 * }
 * }</pre>
 */
public final class StoreVerifier {
  private static final Set<AtomState> NOT_DONE =
      EnumSet.of(
          AtomState.PENDING,
          AtomState.RUNNING,
          AtomState.FAILURE,
          AtomState.REVERTING,
          AtomState.REVERT_FAILURE,
          AtomState.RETRYING);

  private StoreVerifier() {}

  /**
   * Opens the backend of a connection string without changing its store (no {@code upgrade()}),
   * checks it and closes it.
   *
   * @throws io.taskflow4j.persistence.InvalidConfigurationException when the connection string is
   *     invalid
   * @throws io.taskflow4j.persistence.BackendNotFoundException when no backend handles it
   */
  public static Report verify(String connection) {
    try (Backend backend = Backends.fetch(connection)) {
      return verify(backend);
    }
  }

  /** Checks the store of {@code backend} through a connection of its own. */
  public static Report verify(Backend backend) {
    try (Connection c = backend.getConnection()) {
      return verify(c);
    }
  }

  /** Checks the store behind {@code connection} (its backend picks the raw inspectors). */
  public static Report verify(Connection connection) {
    Objects.requireNonNull(connection, "connection");
    Walk w = new Walk(connection);
    w.run();
    Backend backend = connection.backend();
    if (backend != null) {
      for (RawStoreInspector inspector : inspectors()) {
        if (inspector.supports(backend)) {
          try {
            w.problems.addAll(inspector.inspect(backend));
          } catch (TaskFlowException | java.io.UncheckedIOException e) {
            w.problem(
                Problem.Kind.UNREADABLE,
                "store",
                "the raw records could not be inspected: " + e.getMessage());
          }
        }
      }
    }
    return new Report(w.books, w.flows, w.atoms, w.problems);
  }

  /**
   * Checks logbooks held in memory (read from a file, say, before they are written anywhere) with
   * the rules {@link #verify(Connection)} applies to what a store holds: no uuid twice, no two
   * atoms of a flow with one name, every atom's state agreeing with its results and failures and
   * every flow's state with its atoms'. A store that is given books passing these checks passes
   * {@code verify} too.
   *
   * @return the problems found, empty when there are none
   */
  public static List<Problem> check(List<LogBook> books) {
    Objects.requireNonNull(books, "books");
    Walk w = new Walk(null);
    Set<String> bookIds = new HashSet<>();
    for (LogBook b : books) {
      String where = "logbook " + b.uuid() + " (" + b.name() + ")";
      if (!bookIds.add(b.uuid())) {
        w.problem(Problem.Kind.DUPLICATE, where, "listed twice");
        continue;
      }
      w.books++;
      for (FlowDetail fd : b.flows()) {
        w.checkFlow(b, where, fd);
      }
    }
    return List.copyOf(w.problems);
  }

  /** Every inspector registered with {@link ServiceLoader} (the directory backend's too). */
  static List<RawStoreInspector> inspectors() {
    List<RawStoreInspector> all = new ArrayList<>();
    Iterator<RawStoreInspector> it =
        ServiceLoader.load(RawStoreInspector.class, StoreVerifier.class.getClassLoader())
            .iterator();
    while (true) {
      try {
        if (!it.hasNext()) {
          break;
        }
        all.add(it.next());
      } catch (ServiceConfigurationError e) {
        // a broken registration must not stop the checks every backend gets
        continue;
      }
    }
    return all;
  }

  /** One pass over the store through the connection API. */
  private static final class Walk {
    final Connection c;
    final List<Problem> problems = new ArrayList<>();
    final Map<String, String> flowOwner = new HashMap<>();
    final Map<String, String> atomOwner = new HashMap<>();
    int books;
    int flows;
    int atoms;

    Walk(Connection c) {
      this.c = c;
    }

    void problem(Problem.Kind kind, String where, String message) {
      problems.add(new Problem(kind, where, message));
    }

    /**
     * Walks the books with the connection's tolerant scan (lazily: each book's flows are read by
     * {@link #checkBook}), so a damaged logbook record is one problem and the other books are still
     * checked, and the store is never held in memory whole.
     */
    void run() {
      Set<String> bookIds = new HashSet<>();
      try {
        c.forEachLogBook(
            true,
            b -> checkBook(b, bookIds),
            e ->
                problem(
                    Problem.Kind.UNREADABLE,
                    e.kind().label() + " " + e.uuid().orElse(e.location()),
                    "cannot be read: " + e.getMessage()));
      } catch (TaskFlowException e) {
        problem(
            Problem.Kind.UNREADABLE, "store", "the logbooks cannot be listed: " + e.getMessage());
      }
    }

    void checkBook(LogBook b, Set<String> bookIds) {
      String where = "logbook " + b.uuid() + " (" + b.name() + ")";
      if (!bookIds.add(b.uuid())) {
        problem(Problem.Kind.DUPLICATE, where, "listed twice");
        return;
      }
      books++;
      List<FlowDetail> fds;
      try {
        fds = c.getFlowsForBook(b.uuid());
      } catch (NotFoundException e) {
        problem(Problem.Kind.DANGLING_LINK, where, "listed but not found: " + e.getMessage());
        return;
      } catch (TaskFlowException e) {
        problem(
            Problem.Kind.UNREADABLE, where, "its flow details cannot be read: " + e.getMessage());
        return;
      }
      for (FlowDetail fd : fds) {
        checkFlow(b, where, fd);
      }
    }

    /**
     * Checks one flow detail of book {@code b}. Walking a store ({@code c} set), each flow and atom
     * is also read on its own and compared; for books in memory only the rules apply.
     */
    void checkFlow(LogBook b, String bookWhere, FlowDetail fd) {
      String where = "flow detail " + fd.uuid() + " (" + fd.name() + ") in " + bookWhere;
      String owner = flowOwner.putIfAbsent(fd.uuid(), b.uuid());
      if (owner != null) {
        problem(Problem.Kind.DUPLICATE, where, "the same flow detail is also in logbook " + owner);
        return;
      }
      flows++;
      if (c != null && !readsAlike(where, fd)) {
        return;
      }
      Set<String> names = new HashSet<>();
      List<AtomState> states = new ArrayList<>();
      for (AtomDetail ad : fd.atoms()) {
        String aw = "atom detail " + ad.uuid() + " (" + ad.name() + ") in flow detail " + fd.uuid();
        String prev = atomOwner.putIfAbsent(ad.uuid(), fd.uuid());
        if (prev != null) {
          problem(
              Problem.Kind.DUPLICATE, aw, "the same atom detail is also in flow detail " + prev);
          continue;
        }
        atoms++;
        if (!names.add(ad.name())) {
          problem(
              Problem.Kind.DUPLICATE, aw, "two atoms of the flow are named '" + ad.name() + "'");
        }
        if (c != null && !readsAlike(aw, ad)) {
          continue;
        }
        checkAtom(aw, ad);
        states.add(ad.state());
      }
      checkFlowState(where, fd, states);
    }

    /** Whether the flow detail reads on its own (a mismatch is reported, and does not stop). */
    private boolean readsAlike(String where, FlowDetail fd) {
      FlowDetail alone;
      try {
        alone = c.getFlowDetails(fd.uuid());
      } catch (NotFoundException e) {
        problem(
            Problem.Kind.DANGLING_LINK,
            where,
            "listed in its logbook but not found on its own: " + e.getMessage());
        return false;
      } catch (TaskFlowException e) {
        problem(Problem.Kind.UNREADABLE, where, "cannot be read: " + e.getMessage());
        return false;
      }
      if (alone.state() != fd.state() || alone.atoms().size() != fd.atoms().size()) {
        problem(
            Problem.Kind.STATE_MISMATCH,
            where,
            "read through its logbook it is "
                + fd.state()
                + " with "
                + fd.atoms().size()
                + " atoms, read alone "
                + alone.state()
                + " with "
                + alone.atoms().size());
      }
      return true;
    }

    /**
     * Whether the atom detail reads on its own (a state mismatch is reported, and does not stop).
     */
    private boolean readsAlike(String where, AtomDetail ad) {
      try {
        AtomDetail single = c.getAtomDetails(ad.uuid());
        if (single.state() != ad.state()) {
          problem(
              Problem.Kind.STATE_MISMATCH,
              where,
              "read through its flow it is " + ad.state() + ", read alone " + single.state());
        }
        return true;
      } catch (NotFoundException e) {
        problem(
            Problem.Kind.DANGLING_LINK,
            where,
            "listed in its flow detail but not found on its own: " + e.getMessage());
        return false;
      } catch (TaskFlowException e) {
        problem(Problem.Kind.UNREADABLE, where, "cannot be read: " + e.getMessage());
        return false;
      }
    }

    void checkAtom(String where, AtomDetail ad) {
      switch (ad.state()) {
        case SUCCESS -> {
          if (ad.failure() != null) {
            problem(
                Problem.Kind.STATE_MISMATCH,
                where,
                "SUCCESS but a failure is recorded (" + ad.failure().exceptionStr() + ")");
          }
          if (ad.revertFailure() != null) {
            problem(Problem.Kind.STATE_MISMATCH, where, "SUCCESS but a revert failure is recorded");
          }
        }
        case FAILURE -> {
          if (ad.failure() == null) {
            problem(Problem.Kind.STATE_MISMATCH, where, "FAILURE but no failure is recorded");
          }
          if (ad instanceof TaskDetail td && td.results() != null) {
            problem(Problem.Kind.STATE_MISMATCH, where, "FAILURE but a result is recorded as well");
          }
        }
        case REVERT_FAILURE -> {
          if (ad.revertFailure() == null) {
            problem(
                Problem.Kind.STATE_MISMATCH,
                where,
                "REVERT_FAILURE but no revert failure is recorded");
          }
        }
        case PENDING -> {
          if (ad instanceof TaskDetail td && (td.failure() != null || td.revertFailure() != null)) {
            problem(Problem.Kind.STATE_MISMATCH, where, "PENDING but a failure is recorded");
          }
        }
        default -> {
          // RUNNING, REVERTING, REVERTED, RETRYING, IGNORE: nothing is required beside them
        }
      }
    }

    void checkFlowState(String where, FlowDetail fd, List<AtomState> states) {
      if (fd.state() == FlowState.SUCCESS) {
        for (AtomState s : states) {
          if (NOT_DONE.contains(s)) {
            problem(
                Problem.Kind.STATE_MISMATCH,
                where,
                "SUCCESS while one of its atoms is "
                    + s
                    + " (every atom must be SUCCESS or IGNORE)");
            return;
          }
        }
      } else if (fd.state() == FlowState.REVERTED) {
        for (AtomState s : states) {
          if (s == AtomState.RUNNING || s == AtomState.REVERTING) {
            problem(Problem.Kind.STATE_MISMATCH, where, "REVERTED while one of its atoms is " + s);
            return;
          }
        }
      }
    }
  }
}
