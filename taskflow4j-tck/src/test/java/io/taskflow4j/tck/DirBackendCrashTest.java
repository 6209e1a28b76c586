package io.taskflow4j.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.dir.DirBackend;
import io.taskflow4j.persistence.dir.DirWriteHook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cuts every kind of write at each of its steps, as a crash would, then opens the store afresh:
 * every file is whole JSON, every link points to a stored object, each object reads as its old or
 * its new value (never a mix of a book and part of its flows), and {@code upgrade()} removes the
 * leftovers and the orphans.
 */
class DirBackendCrashTest {

  @TempDir Path tmp;

  /** What a crash looks like to the writer: the write stops dead, nothing is cleaned up. */
  static final class Crash extends RuntimeException {
    Crash(String at) {
      super("simulated crash after " + at);
    }
  }

  /** Throws at the {@code at}-th step (from 0); records every step it sees. */
  static final class CrashAt implements DirWriteHook {
    final int at;
    final List<String> steps = new ArrayList<>();

    CrashAt(int at) {
      this.at = at;
    }

    @Override
    public void after(Step step, Path path) {
      steps.add(step + " " + path.getFileName());
      if (steps.size() - 1 == at) {
        throw new Crash(step + " " + path.getFileName());
      }
    }
  }

  /** The store before the cut write: book B (meta v=1) → flow F (PENDING) → atoms A1, A2. */
  record Fixture(LogBook book, FlowDetail fd, TaskDetail a1, TaskDetail a2) {}

  /** The cut writes, each with what it may leave: the old value or the new one. */
  enum Scenario {
    UPDATE_ATOM {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        c.updateAtomDetails(c.getAtomDetails(f.a1().uuid()).put(AtomState.SUCCESS, "new"));
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        AtomDetail a1 = c.getAtomDetails(f.a1().uuid());
        if (a1.state() == AtomState.SUCCESS) {
          assertThat(((TaskDetail) a1).results()).isEqualTo("new");
          assertThat(a1.revision()).isEqualTo(2);
        } else {
          assertThat(a1).isEqualTo(f.a1());
        }
        assertThat(c.getLogBook(f.book().uuid()).flows().get(0).atoms())
            .extracting(AtomDetail::uuid)
            .containsExactly(f.a1().uuid(), f.a2().uuid());
      }
    },
    UPDATE_FLOW_ADDING_AN_ATOM {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        c.updateFlowDetails(
            c.getFlowDetails(f.fd().uuid(), true).withState(FlowState.RUNNING).withAtom(x.a3));
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        FlowDetail fd = c.getFlowDetails(f.fd().uuid());
        assertThat(fd.state()).isIn(FlowState.PENDING, FlowState.RUNNING);
        List<String> atoms = Fixtures.uuids(fd.atoms());
        if (atoms.size() == 3) {
          assertThat(atoms).containsExactly(f.a1().uuid(), f.a2().uuid(), x.a3.uuid());
          assertThat(fd.find(x.a3.uuid()).orElseThrow().name()).isEqualTo("a3");
        } else {
          assertThat(atoms).containsExactly(f.a1().uuid(), f.a2().uuid());
          assertThatThrownBy(() -> c.getAtomDetails(x.a3.uuid()))
              .isInstanceOf(NotFoundException.class);
          if (swept) {
            assertThat(x.root.resolve("atom_details/" + x.a3.uuid())).doesNotExist();
          }
        }
      }
    },
    SAVE_NEW_BOOK {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        c.saveLogBook(x.book2);
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        List<String> books = Fixtures.uuids(c.getLogBooks());
        if (books.size() == 2) {
          assertThat(Fixtures.unrevised(c.getLogBook(x.book2.uuid())))
              .isEqualTo(Fixtures.unrevised(x.book2));
        } else {
          assertThat(books).containsExactly(f.book().uuid());
          FlowDetail f2 = x.book2.flows().get(0);
          assertThatThrownBy(() -> c.getFlowDetails(f2.uuid()))
              .isInstanceOf(NotFoundException.class);
          for (AtomDetail ad : f2.atoms()) {
            assertThatThrownBy(() -> c.getAtomDetails(ad.uuid()))
                .isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> c.updateAtomDetails(ad)).isInstanceOf(NotFoundException.class);
          }
          if (swept) {
            assertThat(x.root.resolve("flow_details/" + f2.uuid())).doesNotExist();
            for (AtomDetail ad : f2.atoms()) {
              assertThat(x.root.resolve("atom_details/" + ad.uuid())).doesNotExist();
            }
          }
        }
        assertThat(Fixtures.unrevised(c.getLogBook(f.book().uuid())))
            .isEqualTo(Fixtures.unrevised(f.book()));
      }
    },
    RESAVE_BOOK_ADDING_A_FLOW {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        LogBook stored = c.getLogBook(f.book().uuid());
        c.saveLogBook(stored.withMeta(Map.of("v", 2)).withFlow(x.f3));
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        LogBook b = c.getLogBook(f.book().uuid());
        assertThat(b.meta().get("v")).isIn(1, 2);
        List<String> flows = Fixtures.uuids(b.flows());
        if (flows.size() == 2) {
          assertThat(flows).containsExactly(f.fd().uuid(), x.f3.uuid());
          assertThat(Fixtures.unrevised(b.flows().get(1))).isEqualTo(Fixtures.unrevised(x.f3));
        } else {
          assertThat(flows).containsExactly(f.fd().uuid());
        }
        assertThat(Fixtures.unrevised(b.flows().get(0))).isEqualTo(Fixtures.unrevised(f.fd()));
      }
    },
    DESTROY_BOOK {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        c.destroyLogBook(f.book().uuid());
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        if (c.getLogBooks().isEmpty()) {
          assertThatThrownBy(() -> c.getFlowDetails(f.fd().uuid()))
              .isInstanceOf(NotFoundException.class);
          assertThatThrownBy(() -> c.getAtomDetails(f.a1().uuid()))
              .isInstanceOf(NotFoundException.class);
          assertThatThrownBy(() -> c.updateAtomDetails(f.a2()))
              .isInstanceOf(NotFoundException.class);
          if (swept) {
            assertThat(x.root.resolve("flow_details/" + f.fd().uuid())).doesNotExist();
            assertThat(x.root.resolve("atom_details/" + f.a1().uuid())).doesNotExist();
          }
        } else {
          assertThat(Fixtures.unrevised(c.getLogBook(f.book().uuid())))
              .isEqualTo(Fixtures.unrevised(f.book()));
        }
      }
    },
    CLEAR_ALL {
      @Override
      void write(Connection c, Fixture f, Extra x) {
        c.clearAll();
      }

      @Override
      void check(Connection c, Fixture f, Extra x, boolean swept) {
        DESTROY_BOOK.check(c, f, x, swept);
      }
    };

    abstract void write(Connection c, Fixture f, Extra x);

    /** Asserts the store holds the old or the new value; {@code swept}: after upgrade(). */
    abstract void check(Connection c, Fixture f, Extra x, boolean swept);
  }

  /** The new values the writes use, fixed per run so each cut run writes the same thing. */
  static final class Extra {
    final Path root;
    final TaskDetail a3 = TaskDetail.create("a3").put(AtomState.SUCCESS, List.of(3));
    final LogBook book2 =
        Fixtures.book(
            "b2",
            Fixtures.flow("f2", TaskDetail.create("a4"), TaskDetail.create("a5"))
                .withState(FlowState.SUCCESS));
    final FlowDetail f3 = Fixtures.flow("f3", TaskDetail.create("a6"));

    Extra(Path root) {
      this.root = root;
    }
  }

  private static DirBackend backend(Path root, DirWriteHook hook) {
    BackendConf conf =
        BackendConf.of(Map.of("connection", "dir", "path", root.toString(), "durability", "power"));
    return DirBackend.builder(conf).writeHook(hook).build();
  }

  private static Fixture baseline(Path root) {
    try (DirBackend b = backend(root, DirWriteHook.NONE);
        Connection c = b.getConnection()) {
      c.upgrade();
      TaskDetail a1 = TaskDetail.create("a1");
      TaskDetail a2 = TaskDetail.create("a2");
      LogBook book =
          c.saveLogBook(
              LogBook.create("b").withMeta(Map.of("v", 1)).withFlow(Fixtures.flow("f", a1, a2)));
      FlowDetail fd = book.flows().get(0);
      return new Fixture(
          book,
          fd,
          (TaskDetail) fd.find(a1.uuid()).orElseThrow(),
          (TaskDetail) fd.find(a2.uuid()).orElseThrow());
    }
  }

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void aWriteCutAtAnyStepLeavesAConsistentStore(Scenario scenario) throws IOException {
    cutAtEveryStep(scenario, "upgrade", Connection::upgrade);
  }

  /**
   * A backend fetched without {@code upgrade()} (as a command that only resumes or deletes opens a
   * store) tidies what a cut write left before its own first write, as upgrade() would.
   */
  @ParameterizedTest
  @EnumSource(Scenario.class)
  void theNextWriteWithoutUpgradeTidiesWhatACutWriteLeft(Scenario scenario) throws IOException {
    cutAtEveryStep(
        scenario,
        "first write",
        c -> {
          LogBook other = c.saveLogBook(LogBook.create("first write after the cut"));
          c.destroyLogBook(other.uuid());
        });
  }

  private void cutAtEveryStep(Scenario scenario, String tidy, Consumer<Connection> tidying)
      throws IOException {
    // A clean run tells how many steps the write has.
    Path probe = tmp.resolve(scenario + "-probe");
    Fixture pf = baseline(probe);
    CrashAt counter = new CrashAt(-1);
    Extra px = new Extra(probe);
    try (DirBackend b = backend(probe, counter);
        Connection c = b.getConnection()) {
      scenario.write(c, pf, px);
    }
    int steps = counter.steps.size();
    assertThat(steps).isGreaterThan(1);
    assertThat(counter.steps).anyMatch(s -> s.startsWith("RENAMED") || s.startsWith("REMOVED"));

    for (int i = 0; i < steps; i++) {
      Path root = tmp.resolve(scenario + "-" + i);
      Fixture f = baseline(root);
      Extra x = new Extra(root);
      CrashAt crash = new CrashAt(i);
      try (DirBackend b = backend(root, crash);
          Connection c = b.getConnection()) {
        assertThatThrownBy(() -> scenario.write(c, f, x)).isInstanceOf(Crash.class);
      }
      String at = "cut after step " + i + " (" + crash.steps.get(i) + ") of " + counter.steps;
      try (DirBackend b = backend(root, DirWriteHook.NONE);
          Connection c = b.getConnection()) {
        assertConsistent(root, at, false);
        checkOrFail(scenario, c, f, x, false, at);
        tidying.accept(c);
        String after = at + ", after the " + tidy;
        assertConsistent(root, after, true);
        checkOrFail(scenario, c, f, x, true, after);
        // The store still takes writes.
        LogBook probeBook = c.saveLogBook(LogBook.create("after"));
        assertThat(c.getLogBook(probeBook.uuid()).name()).isEqualTo("after");
      }
    }
  }

  private static void checkOrFail(
      Scenario s, Connection c, Fixture f, Extra x, boolean swept, String at) {
    try {
      s.check(c, f, x, swept);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError(s + " " + at + (swept ? " (tidied)" : "") + ": " + e, e);
    }
  }

  /**
   * Every metadata file outside temporaries is a whole JSON object; every link in a book or flow
   * directory points to an object with metadata. After a sweep no temporary is left.
   */
  static void assertConsistent(Path root, String at, boolean swept) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path rel = root.relativize(p);
        String name = p.getFileName().toString();
        boolean inStaging = rel.getNameCount() > 0 && rel.getName(0).toString().equals(".tmp");
        if (swept && (name.startsWith(".tmp-") || (inStaging && rel.getNameCount() > 1))) {
          fail(at + ": left after tidying: " + rel);
        }
        if (inStaging || name.startsWith(".tmp-")) {
          continue;
        }
        if (Files.isSymbolicLink(p)) {
          assertThat(
                  Files.isRegularFile(
                      p.resolveSibling(Files.readSymbolicLink(p)).resolve("metadata")))
              .as(at + ": dangling link " + rel)
              .isTrue();
        } else if (name.equals("metadata")) {
          Object v;
          try {
            v = Json.read(Files.readAllBytes(p));
          } catch (IllegalArgumentException e) {
            throw new AssertionError(at + ": torn file " + rel + ": " + e.getMessage(), e);
          }
          assertThat(v).as(at + ": " + rel).isInstanceOf(Map.class);
        }
      }
    }
  }
}
