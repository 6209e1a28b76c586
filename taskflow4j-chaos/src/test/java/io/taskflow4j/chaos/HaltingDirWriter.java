package io.taskflow4j.chaos;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import io.taskflow4j.persistence.TaskDetail;
import io.taskflow4j.persistence.dir.DirBackend;
import io.taskflow4j.persistence.dir.DirWriteHook;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child of {@link DirHaltTest}: performs a fixed series of writes on a directory store whose {@link
 * DirWriteHook} halts the JVM ({@code Runtime.halt}, no cleanup at all) at the n-th time a given
 * step is reached. Arguments: connection, step name, n. Exits 0 if the step was never reached n
 * times.
 */
public final class HaltingDirWriter {
  private HaltingDirWriter() {}

  public static void main(String[] args) {
    DirWriteHook.Step step = DirWriteHook.Step.valueOf(args[1]);
    int at = Integer.parseInt(args[2]);
    AtomicInteger seen = new AtomicInteger();
    DirWriteHook hook =
        (s, path) -> {
          if (s == step && seen.incrementAndGet() == at) {
            Runtime.getRuntime().halt(77);
          }
        };
    try (DirBackend backend =
            DirBackend.builder(BackendConf.parse(args[0])).writeHook(hook).build();
        Connection c = backend.getConnection()) {
      c.upgrade();
      LogBook book =
          c.saveLogBook(
              LogBook.create("halt")
                  .withFlow(
                      FlowDetail.create("f1")
                          .withAtom(TaskDetail.create("a"))
                          .withAtom(TaskDetail.create("b"))
                          .withAtom(TaskDetail.create("c"))));
      FlowDetail f1 = book.flows().get(0);
      AtomDetail a = c.updateAtomDetails(f1.atoms().get(0).withState(AtomState.RUNNING));
      a = c.updateAtomDetails(a.put(AtomState.SUCCESS, 1));
      c.updateFlowDetails(c.getFlowDetails(f1.uuid(), true).withState(FlowState.RUNNING));
      book = c.getLogBook(book.uuid());
      book = c.saveLogBook(book.withFlow(FlowDetail.create("f2").withAtom(TaskDetail.create("d"))));
      LogBook other = c.saveLogBook(LogBook.create("doomed").withFlow(FlowDetail.create("g")));
      c.destroyLogBook(other.uuid());
    }
  }
}
