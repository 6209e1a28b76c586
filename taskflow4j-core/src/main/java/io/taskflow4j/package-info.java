/**
 * What users write: {@link io.taskflow4j.Task}s (subclasses or lambdas) and {@link
 * io.taskflow4j.Retry} controllers, their {@link io.taskflow4j.Arguments}, and how results are
 * published ({@link io.taskflow4j.Provides}). Compose them with the flows of {@code
 * io.taskflow4j.flow} and run them with {@code io.taskflow4j.engine.Engines}.
 */
package io.taskflow4j;
