package io.taskflow4j.engine;

import io.taskflow4j.Arguments;
import io.taskflow4j.Task;
import io.taskflow4j.persistence.Failure;
import java.util.Map;

/**
 * Runs a task's {@code execute} and {@code revert} on behalf of an engine: in the calling thread
 * (the default, {@link #LOCAL}), or somewhere else, such as on a remote worker.
 *
 * <p>The engine calls a runner on one of its worker threads (the caller's thread for a serial
 * engine) and waits for it: a runner may block. The engine keeps the logbook exactly as with local
 * execution: it records RUNNING before it calls {@link #execute} and records the result or the
 * failure after it returns, so resumption is unchanged. What a runner throws is the task's failure.
 *
 * <p>Retries are not tasks and always run in the engine's process.
 */
public interface TaskRunner {

  /** Runs tasks in the engine's own threads. */
  TaskRunner LOCAL =
      new TaskRunner() {
        @Override
        public Object execute(Invocation call) throws Exception {
          return call.task().execute(call.arguments());
        }

        @Override
        public Object revert(Invocation call, Object result, Map<String, Failure> failures)
            throws Exception {
          return call.task().revert(call.arguments(), result, failures);
        }

        @Override
        public String toString() {
          return "TaskRunner.LOCAL";
        }
      };

  /** Runs {@code call.task().execute(...)}, or its equivalent, and returns its result. */
  Object execute(Invocation call) throws Exception;

  /** Runs {@code call.task().revert(...)}, or its equivalent, and returns its result. */
  Object revert(Invocation call, Object result, Map<String, Failure> failures) throws Exception;

  /**
   * One call of a task.
   *
   * @param task the task of the flow being run
   * @param atomName its name in the flow
   * @param atomUuid the uuid of its atom detail (stable across attempts and resumptions)
   * @param flowUuid the uuid of the flow detail being run
   * @param attempt which execution of the atom this is, from 1 (counted across resumptions)
   * @param arguments its bound arguments (progress reports go to the logbook)
   */
  record Invocation(
      Task task,
      String atomName,
      String atomUuid,
      String flowUuid,
      int attempt,
      Arguments arguments) {}
}
