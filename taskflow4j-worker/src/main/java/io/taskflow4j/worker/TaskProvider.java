package io.taskflow4j.worker;

import java.util.Map;

/**
 * Registers tasks into a worker's {@link TaskRegistry}. {@code WorkerMain --tasks} takes the class
 * names of providers (public, with a public no-argument constructor), or {@code workloads} for
 * {@link WorkloadTasks}.
 */
public interface TaskProvider {
  /**
   * Registers this provider's tasks.
   *
   * @param registry where to register
   * @param options the worker's options (for example {@code exec-log}), by name without dashes
   */
  void register(TaskRegistry registry, Map<String, String> options);
}
