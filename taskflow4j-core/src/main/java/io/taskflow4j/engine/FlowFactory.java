package io.taskflow4j.engine;

import io.taskflow4j.flow.Flow;
import java.util.List;
import java.util.Map;

/**
 * Builds a flow from JSON-able arguments, so that a run can be rebuilt in another process from its
 * flow detail alone ({@link Engines#loadFromDetail}). Implementations need a public no-argument
 * constructor; the engine records the class name and the arguments in the flow detail's meta
 * ({@code factory = {name, args, kwargs}}, TaskFlow's shape).
 */
@FunctionalInterface
public interface FlowFactory {

  /**
   * @param args positional arguments (JSON values)
   * @param kwargs named arguments (JSON values)
   */
  Flow create(List<Object> args, Map<String, Object> kwargs);

  /**
   * The short name a {@link io.taskflow4j.conductor.FlowFactories registry} also knows this factory
   * by, so jobs can be posted by it ({@code taskflow4j jobs post chain 100}); by default the class
   * name. Factories listed in {@code META-INF/services/io.taskflow4j.engine.FlowFactory} are
   * registered by {@link io.taskflow4j.conductor.FlowFactories#installed()}.
   */
  default String name() {
    return getClass().getName();
  }
}
