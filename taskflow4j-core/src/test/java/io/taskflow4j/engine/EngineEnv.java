package io.taskflow4j.engine;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Task;
import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The matrix engine tests run on: serial and parallel engines over the memory and dir backends. One
 * instance per test; close it to close the backend.
 */
public final class EngineEnv implements AutoCloseable {
  /** Serial or parallel engine. */
  public enum Kind {
    SERIAL,
    PARALLEL
  }

  /** Which backend. */
  public enum Store {
    MEMORY,
    DIR,
    /** A backend the test opens itself and hands to {@link #over(Case, Backend)}. */
    SUPPLIED
  }

  /** One cell of the matrix. */
  public record Case(Kind kind, Store store) {
    @Override
    public String toString() {
      return kind.name().toLowerCase() + "/" + store.name().toLowerCase();
    }

    public boolean parallel() {
      return kind == Kind.PARALLEL;
    }
  }

  /** Every cell. */
  public static Stream<Case> cases() {
    return Stream.of(
        new Case(Kind.SERIAL, Store.MEMORY),
        new Case(Kind.PARALLEL, Store.MEMORY),
        new Case(Kind.SERIAL, Store.DIR),
        new Case(Kind.PARALLEL, Store.DIR));
  }

  public final Case setup;
  public final Backend backend;

  /** Executions and reverts recorded by {@link #task}, in order. */
  public final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  public EngineEnv(Case setup, Path dir) {
    if (setup.store() == Store.SUPPLIED) {
      throw new IllegalArgumentException("a supplied store needs EngineEnv.over(Case, Backend)");
    }
    this.setup = setup;
    this.backend =
        setup.store() == Store.MEMORY
            ? Backends.open("memory://")
            // Process durability: the store survives a killed process; tests need not fsync.
            : Backends.open("dir://" + dir.toAbsolutePath() + "?durability=process");
  }

  /**
   * An environment over a backend the caller opened (e.g. a SQL database); closing the environment
   * closes it.
   */
  public static EngineEnv over(Case setup, Backend backend) {
    return new EngineEnv(backend, setup);
  }

  // Argument order differs from the public constructor so that EngineEnv(c, null) stays
  // unambiguous.
  private EngineEnv(Backend backend, Case setup) {
    this.setup = setup;
    this.backend = backend;
  }

  /** The serial and parallel cells over {@code store}. */
  public static Stream<Case> cases(Store store) {
    return Stream.of(new Case(Kind.SERIAL, store), new Case(Kind.PARALLEL, store));
  }

  /** An engine builder for {@code flow} over this backend, serial or parallel as the case says. */
  public Engines.Builder load(FlowElement flow) {
    return configure(Engines.load(flow));
  }

  /** Applies the backend and engine kind. */
  public Engines.Builder configure(Engines.Builder b) {
    b.backend(backend);
    if (setup.parallel()) {
      b.parallel(4);
    }
    return b;
  }

  /** A task returning its name and recording "execute name" / "revert name" into calls. */
  public Task task(String name) {
    return Task.of(
            name,
            args -> {
              calls.add("execute " + name);
              return name;
            })
        .onRevert(
            (args, result, failures) -> {
              calls.add("revert " + name);
              return null;
            });
  }

  /** A task that records its execution and then fails with {@code RuntimeException(message)}. */
  public Task failing(String name, String message) {
    return Task.of(
            name,
            args -> {
              calls.add("execute " + name);
              throw new RuntimeException(message);
            })
        .onRevert(
            (args, result, failures) -> {
              calls.add("revert " + name);
              return null;
            });
  }

  /** Stores a flow detail holding {@code atoms} in a new logbook; returns it as reloaded. */
  public FlowDetail seed(String flowName, FlowState state, List<AtomDetail> atoms) {
    FlowDetail fd =
        FlowDetail.of(UUID.randomUUID().toString(), flowName, state, Map.of(), atoms, 0);
    try (Connection c = backend.getConnection()) {
      c.saveLogBook(LogBook.create("seeded").withFlow(fd));
    }
    return reload(fd.uuid());
  }

  /** The flow detail as the backend has it now. */
  public FlowDetail reload(String flowUuid) {
    try (Connection c = backend.getConnection()) {
      return c.getFlowDetails(flowUuid);
    }
  }

  @Override
  public void close() {
    backend.close();
  }
}
