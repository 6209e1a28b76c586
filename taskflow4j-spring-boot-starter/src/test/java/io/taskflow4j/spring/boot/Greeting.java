package io.taskflow4j.spring.boot;

import io.taskflow4j.Task;
import io.taskflow4j.engine.FlowFactory;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A two-task flow the tests register as a bean; its first task sleeps {@code args[0]} ms, if given.
 */
public final class Greeting implements FlowFactory {
  /** How many times the task ran, in this JVM. */
  static final AtomicInteger RUNS = new AtomicInteger();

  @Override
  public String name() {
    return "greeting";
  }

  @Override
  public Flow create(List<Object> args, Map<String, Object> kwargs) {
    long sleep = args.isEmpty() ? 0 : ((Number) args.get(0)).longValue();
    return LinearFlow.of("greeting")
        .add(
            Task.of(
                "greet",
                () -> {
                  RUNS.incrementAndGet();
                  Thread.sleep(sleep);
                  return "hello";
                }),
            // A second task, so a run suspended during the first stops before the end.
            Task.of("done", () -> "done"));
  }
}
