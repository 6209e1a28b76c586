package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.storage.AtomKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Records events as strings, for tests (TaskFlow's {@code CaptureListener}): {@code "a.t RUNNING"},
 * {@code "a.t SUCCESS(5)"}, {@code "a.t FAILURE(Failure: java.lang.RuntimeException: boom)"},
 * {@code "r.r RETRYING"}, {@code "flow.f SUCCESS"}. Outcome events carry their result in
 * parentheses.
 */
public class CaptureListener extends Listener {
  private final boolean captureFlow;
  private final List<String> values = new ArrayList<>();

  /** Captures flow, task and retry events. */
  public CaptureListener(Engine engine) {
    this(engine, true);
  }

  /** Captures task and retry events, and flow events when {@code captureFlow}. */
  public CaptureListener(Engine engine, boolean captureFlow) {
    super(engine);
    this.captureFlow = captureFlow;
  }

  @Override
  protected void onFlowEvent(FlowEvent event) {
    if (captureFlow) {
      add(event.flowName() + ".f " + event.state());
    }
  }

  @Override
  protected void onAtomEvent(AtomEvent event) {
    String kind = event.kind() == AtomKind.RETRY ? ".r " : ".t ";
    String line = event.atomName() + kind + event.state();
    if (event.hasOutcome()) {
      Object outcome = event.failure() != null ? event.failure() : event.result();
      line += "(" + outcome + ")";
    }
    add(line);
  }

  private synchronized void add(String s) {
    values.add(s);
  }

  /** What was captured so far, in order. */
  public synchronized List<String> values() {
    return List.copyOf(values);
  }

  /** Forgets what was captured. */
  public synchronized void clear() {
    values.clear();
  }
}
