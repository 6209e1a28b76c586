package io.taskflow4j.micrometer;

import io.taskflow4j.Task;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.LinearFlow;
import io.taskflow4j.flow.UnorderedFlow;
import io.taskflow4j.retry.Times;
import java.util.concurrent.atomic.AtomicInteger;

/** Flows the tests run. */
final class TestFlows {
  private TestFlows() {}

  /** t1 → t2 → t3, each returning its name. */
  static Flow linear(String name) {
    Flow f = LinearFlow.of(name);
    for (int i = 1; i <= 3; i++) {
      String t = "t" + i;
      f.add(Task.of(t, () -> t));
    }
    return f;
  }

  /**
   * "setup", then a retried subflow (retry controller "again", 3 attempts) holding "flaky", which
   * fails {@code failures} times before it succeeds.
   */
  static Flow retried(String name, int failures) {
    AtomicInteger calls = new AtomicInteger();
    return LinearFlow.of(name)
        .add(Task.of("setup", () -> "ready"))
        .add(
            LinearFlow.of("retried", new Times("again", 3))
                .add(
                    Task.of(
                        "flaky",
                        () -> {
                          if (calls.incrementAndGet() <= failures) {
                            throw new IllegalStateException("flaky call " + calls.get());
                          }
                          return "ok";
                        })));
  }

  /** Four independent tasks p1..p4, then the retried subflow of {@link #retried}, for parallel. */
  static Flow parallel(String name, int failures) {
    Flow fan = UnorderedFlow.of("fan");
    for (int i = 1; i <= 4; i++) {
      String t = "p" + i;
      fan.add(
          Task.of(
              t,
              () -> {
                Thread.sleep(20);
                return t;
              }));
    }
    AtomicInteger calls = new AtomicInteger();
    return LinearFlow.of(name)
        .add(fan)
        .add(
            LinearFlow.of("retried", new Times("again", 3))
                .add(
                    Task.of(
                        "flaky",
                        () -> {
                          if (calls.incrementAndGet() <= failures) {
                            throw new IllegalStateException("flaky call " + calls.get());
                          }
                          return "ok";
                        })));
  }

  /** "ok" then "boom", which always fails: the flow ends REVERTED. */
  static Flow failing(String name) {
    return LinearFlow.of(name)
        .add(Task.of("ok", () -> "fine"))
        .add(
            Task.of(
                "boom",
                () -> {
                  throw new IllegalStateException("always");
                }));
  }
}
