package io.taskflow4j.worker;

import io.taskflow4j.Task;

/** Makes the task a worker runs for a request. */
@FunctionalInterface
public interface TaskFactory {
  /**
   * The task to run for atom {@code atomName}: a new task, or a shared stateless one.
   *
   * @throws IllegalArgumentException when this factory cannot make a task for that atom
   */
  Task create(String atomName);
}
