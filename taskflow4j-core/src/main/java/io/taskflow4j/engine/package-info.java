/**
 * Engines: compile a flow, record every state change in the logbook (through {@link
 * io.taskflow4j.storage.Storage}) before telling listeners, run atoms serially or on an executor,
 * revert on failure, and resume from whatever a previous run recorded.
 *
 * <p>Entry point: {@link io.taskflow4j.engine.Engines}. Events: {@link
 * io.taskflow4j.engine.FlowEvent}, {@link io.taskflow4j.engine.AtomEvent} through {@link
 * io.taskflow4j.engine.Notifier}. Everything else here is package-private.
 */
package io.taskflow4j.engine;
