package io.taskflow4j;

import io.taskflow4j.persistence.Failure;
import java.util.Map;
import java.util.Objects;

/** A task made of lambdas ({@link Task#of}). */
final class LambdaTask extends Task {
  private final Class<?>[] positionalTypes;
  private final Body body;
  private volatile RevertBody revertBody;

  LambdaTask(String name, Class<?>[] positionalTypes, Body body) {
    super(name);
    this.positionalTypes = positionalTypes;
    this.body = body;
  }

  /** The name of the {@code i}-th declared argument (positional lambdas). */
  String positional(int i) {
    return argumentName(i);
  }

  @Override
  public Task requires(String... args) {
    // A typed lambda's parameters take their types from the factory call, in order.
    int start = declaredArgumentCount();
    for (int i = 0; i < args.length; i++) {
      int pos = start + i;
      addRequired(args[i], pos < positionalTypes.length ? positionalTypes[pos] : Object.class);
    }
    return this;
  }

  @Override
  protected void checkConfiguration() {
    if (positionalTypes.length > 0 && declaredArgumentCount() != positionalTypes.length) {
      throw new IllegalArgumentException(
          "task '"
              + name()
              + "' takes "
              + positionalTypes.length
              + " argument(s); name exactly that many with requires(...), declared: "
              + declaredArguments());
    }
  }

  @Override
  public Object execute(Arguments args) throws Exception {
    return body.execute(args);
  }

  @Override
  public Object revert(Arguments args, Object result, Map<String, Failure> flowFailures)
      throws Exception {
    RevertBody r = revertBody;
    return r == null ? null : r.revert(args, result, flowFailures);
  }

  @Override
  public Task onRevert(RevertBody revert) {
    this.revertBody = Objects.requireNonNull(revert, "revert");
    return this;
  }
}
