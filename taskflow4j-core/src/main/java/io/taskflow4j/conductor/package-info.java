/**
 * Conductors: claim jobs from a {@link io.taskflow4j.jobs.Jobboard}, rebuild their flows from
 * registered {@link io.taskflow4j.conductor.FlowFactories factories}, run them with every write
 * fenced by the claim, and complete, release or trash the jobs by outcome.
 */
package io.taskflow4j.conductor;
