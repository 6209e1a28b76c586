package io.taskflow4j.worker;

import io.taskflow4j.FlowElement;
import io.taskflow4j.Task;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.workloads.Workloads;
import java.util.List;
import java.util.Map;

/**
 * The benchmark workloads' tasks ({@link Workloads.Increment}, {@link Workloads.Constant}) by class
 * name, with the same values as local runs: an increment returns {@code x + 1}; the fan-out's
 * constant task {@code t<i>} returns {@code i}, read from the atom name (the workload names its
 * tasks so). Option {@code exec-log}: the workloads' execution log file, appended to by this
 * worker.
 */
public final class WorkloadTasks implements TaskProvider {
  private final Object lock = new Object();
  private List<FlowElement> fanout = List.of();

  /** Creates the provider (used by {@code WorkerMain --tasks workloads}). */
  public WorkloadTasks() {}

  @Override
  public void register(TaskRegistry registry, Map<String, String> options) {
    String log = options.get("exec-log");
    Task increment = (Task) Workloads.chain(1, log).children().get(0);
    registry.register(Workloads.Increment.class.getName(), atom -> increment);
    registry.register(Workloads.Constant.class.getName(), atom -> constant(atom, log));
  }

  private Task constant(String atom, String log) {
    int i;
    try {
      i = atom.startsWith("t") ? Integer.parseInt(atom.substring(1)) : -1;
    } catch (NumberFormatException e) {
      i = -1;
    }
    if (i < 1) {
      throw new IllegalArgumentException(
          "fan-out tasks are named t<i> with i >= 1, not '" + atom + "'");
    }
    synchronized (lock) {
      if (fanout.size() < i) {
        int size = Math.max(1024, Integer.highestOneBit(i) << 1);
        Flow f = Workloads.fanout(size, log);
        fanout = f.children();
      }
      return (Task) fanout.get(i - 1);
    }
  }
}
