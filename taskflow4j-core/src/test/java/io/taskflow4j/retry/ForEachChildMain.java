package io.taskflow4j.retry;

import io.taskflow4j.Task;
import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.Engines;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.listeners.Listener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Child process of {@link ForEachChildJvmTest}: {@code ForEach([1, 2, 3])} over a task that fails
 * unless v == 3, against a dir store. Arguments: mode ({@code crash}: run and die right after the
 * first failed attempt was reverted; {@code resume}: resume the recorded flow detail), store
 * directory, log of the values the task got, file holding the flow detail uuid.
 */
public final class ForEachChildMain {
  /** Exit status of a child that died on purpose. */
  static final int CRASHED = 3;

  private ForEachChildMain() {}

  static LinearFlow flow(Path log) {
    return LinearFlow.of("flow-1", new ForEach("r1", List.of(1, 2, 3)).provides("v"))
        .add(
            Task.of(
                    "t1",
                    Integer.class,
                    v -> {
                      Files.writeString(
                          log, v + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                      if (v != 3) {
                        throw new IllegalStateException("not " + v);
                      }
                      return v;
                    })
                .requires("v"));
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path store = Path.of(args[1]);
    Path log = Path.of(args[2]);
    Path uuidFile = Path.of(args[3]);
    try (Backend backend = Backends.open("dir://" + store.toAbsolutePath())) {
      if (mode.equals("crash")) {
        Engine engine = Engines.load(flow(log)).backend(backend).build();
        Files.writeString(uuidFile, engine.flowDetail().uuid());
        new Listener(engine) {
          @Override
          protected void onAtomEvent(AtomEvent e) {
            if (e.atomName().equals("t1") && e.state() == AtomState.REVERTED) {
              // Events follow their writes: the revert is on disk. Die without any cleanup.
              Runtime.getRuntime().halt(CRASHED);
            }
          }
        };
        engine.run();
        System.exit(0); // the crash did not happen: the parent sees a wrong status
      } else {
        FlowDetail fd;
        try (Connection c = backend.getConnection()) {
          fd = c.getFlowDetails(Files.readString(uuidFile).trim());
        }
        Engine engine = Engines.load(flow(log)).backend(backend).flowDetail(fd).build();
        engine.run();
        System.exit(engine.flowState() == FlowState.SUCCESS ? 0 : 1);
      }
    }
  }
}
