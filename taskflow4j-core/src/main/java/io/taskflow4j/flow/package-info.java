/**
 * Flows: {@link io.taskflow4j.flow.LinearFlow}, {@link io.taskflow4j.flow.UnorderedFlow} and {@link
 * io.taskflow4j.flow.GraphFlow}, nested in any combination, each optionally guarded by a {@link
 * io.taskflow4j.Retry}.
 */
package io.taskflow4j.flow;
