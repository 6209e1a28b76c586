package io.taskflow4j.retry;

import io.taskflow4j.Task;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** TaskFlow's test tasks ({@code taskflow/tests/utils.py}), recording into {@link #calls}. */
final class RetryTasks {
  /** "name" per execution, "name reverted(result)" per revert, in order. */
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  /** SaveOrderTask: records its name and returns 5. */
  Task saveOrder(String name) {
    return Task.of(
            name,
            args -> {
              calls.add(name);
              return 5;
            })
        .onRevert(reverted(name));
  }

  /** ConditionalTask: fails with "Woot!" unless x == y. */
  Task conditional(String name) {
    return Task.of(
            name,
            Integer.class,
            Integer.class,
            (x, y) -> {
              calls.add(name);
              if (!x.equals(y)) {
                throw new RuntimeException("Woot!");
              }
              return null;
            })
        .requires("x", "y")
        .onRevert(reverted(name));
  }

  /** FailingTaskWithOneArg: always fails with "Woot with x". */
  Task failingWithOneArg(String name) {
    return Task.of(
            name,
            Object.class,
            x -> {
              throw new RuntimeException("Woot with " + x);
            })
        .requires("x")
        .onRevert(reverted(name));
  }

  /** FailingTask: always fails with "Woot!". */
  Task failing(String name) {
    return Task.of(
            name,
            args -> {
              calls.add(name);
              throw new RuntimeException("Woot!");
            })
        .onRevert(reverted(name));
  }

  /** NastyTask: succeeds with no result; its revert fails with "Gotcha!". */
  Task nasty(String name) {
    return Task.of(name, args -> null)
        .onRevert(
            (args, result, failures) -> {
              throw new RuntimeException("Gotcha!");
            });
  }

  /** TaskNoRequiresNoReturns. */
  Task noReturns(String name) {
    return Task.of(name, args -> null);
  }

  private Task.RevertBody reverted(String name) {
    return (args, result, failures) -> {
      calls.add(name + " reverted(" + result + ")");
      return null;
    };
  }
}
