package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import java.io.PrintStream;
import java.util.Objects;

/** Prints every flow and atom transition, one line each (failures to the error stream). */
public class PrintingListener extends Listener {
  private final PrintStream out;
  private final PrintStream err;

  /** Prints to {@code System.out} and {@code System.err}. */
  public PrintingListener(Engine engine) {
    this(engine, System.out, System.err);
  }

  /** Prints to {@code out}, failures to {@code err}. */
  public PrintingListener(Engine engine, PrintStream out, PrintStream err) {
    super(engine);
    this.out = Objects.requireNonNull(out, "out");
    this.err = Objects.requireNonNull(err, "err");
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    print(
        out,
        "Flow '"
            + e.flowName()
            + "' ("
            + e.flowUuid()
            + ") transitioned into state '"
            + e.state()
            + "' from state '"
            + e.oldState()
            + "'");
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    String kind = e.kind().name().charAt(0) + e.kind().name().substring(1).toLowerCase();
    String line =
        kind
            + " '"
            + e.atomName()
            + "' ("
            + e.atomUuid()
            + ") transitioned into state '"
            + e.state()
            + "' from state '"
            + e.oldState()
            + "'";
    if (e.failure() != null) {
      print(err, line + " with failure: " + e.failure());
    } else if (e.hasOutcome()) {
      print(out, line + " with result '" + e.result() + "'");
    } else {
      print(out, line);
    }
  }

  private static void print(PrintStream s, String line) {
    synchronized (s) {
      s.println(line);
    }
  }
}
