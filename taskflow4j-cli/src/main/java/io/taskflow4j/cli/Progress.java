package io.taskflow4j.cli;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.listeners.Listener;
import io.taskflow4j.persistence.AtomState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.storage.AtomKind;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Prints each flow and atom transition of a run as it happens, one line each. */
final class Progress extends Listener {
  private final Main main;
  private final long t0 = System.nanoTime();
  private final Map<String, Long> started = new ConcurrentHashMap<>();

  Progress(Engine engine, Main main) {
    super(engine);
    this.main = main;
  }

  @Override
  protected void onFlowEvent(FlowEvent e) {
    main.println(String.format("%s  flow   %-20s %s", clock(), e.flowName(), e.state()));
  }

  @Override
  protected void onAtomEvent(AtomEvent e) {
    String kind = e.kind() == AtomKind.RETRY ? "retry" : "task ";
    StringBuilder line =
        new StringBuilder(
            String.format("%s  %s  %-20s %-10s", clock(), kind, e.atomName(), e.state()));
    if (e.state() == AtomState.RUNNING || e.state() == AtomState.REVERTING) {
      started.put(e.atomName(), System.nanoTime());
    } else {
      Long t = started.remove(e.atomName());
      if (t != null) {
        line.append(String.format(" %5d ms", (System.nanoTime() - t) / 1_000_000));
      }
    }
    if (e.failure() != null) {
      line.append("  ! ")
          .append(simpleName(e.failure().typeName()))
          .append(": ")
          .append(abbreviate(e.failure().exceptionStr(), 80));
    } else if (e.hasOutcome() && e.result() != null) {
      line.append("  -> ").append(abbreviate(json(e.result()), 80));
    }
    main.println(line.toString().stripTrailing());
  }

  private String clock() {
    return String.format("%7.3fs", (System.nanoTime() - t0) / 1e9);
  }

  static String simpleName(String typeName) {
    int dot = Math.max(typeName.lastIndexOf('.'), typeName.lastIndexOf('$'));
    return dot < 0 ? typeName : typeName.substring(dot + 1);
  }

  static String json(Object value) {
    try {
      return Json.write(value);
    } catch (RuntimeException e) {
      return String.valueOf(value);
    }
  }

  static String abbreviate(String s, int max) {
    String one = Main.oneLine(s);
    return one.length() <= max ? one : one.substring(0, max - 3) + "...";
  }
}
