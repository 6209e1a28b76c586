/**
 * The standard workloads (a chain and a fan-out of N small tasks) shared by the command, the
 * benchmarks, the crash campaign, jobboards and remote workers. Each is a {@link
 * io.taskflow4j.engine.FlowFactory}, so a run is rebuilt from its flow detail alone.
 */
package io.taskflow4j.workloads;
