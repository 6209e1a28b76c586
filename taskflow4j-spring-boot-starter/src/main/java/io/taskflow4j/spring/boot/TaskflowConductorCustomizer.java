package io.taskflow4j.spring.boot;

import io.taskflow4j.conductor.Conductor;

/**
 * Adjusts the auto-configured conductor before it is built (engine options, idle wait, …): every
 * bean of this type is called, in order, after the {@code taskflow4j.conductor.*} properties are
 * applied.
 */
@FunctionalInterface
public interface TaskflowConductorCustomizer {

  /** Changes {@code builder} as this application needs. */
  void customize(Conductor.Builder builder);
}
