/**
 * Storage: the engine's only door to persistence.
 *
 * <p>{@link io.taskflow4j.storage.Storage} reads and writes one flow detail and its atom details
 * through a {@link io.taskflow4j.persistence.Connection}, with TaskFlow's semantics (result
 * visibility per state, injection, scoped argument lookup, retry histories) and a write-first
 * discipline: memory changes only after the store accepted the change. Atoms are described by plain
 * {@link io.taskflow4j.storage.AtomSpec}s, so this package knows nothing of the engine or of the
 * user-facing atom classes.
 */
package io.taskflow4j.storage;
