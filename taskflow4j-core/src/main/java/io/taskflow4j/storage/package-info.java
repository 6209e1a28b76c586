/**
 * Storage: the engine's only door to persistence.
 *
 * <p>{@link io.taskflow4j.storage.Storage} reads and writes one flow detail and its atom details
 * through a {@link io.taskflow4j.persistence.Connection}, with TaskFlow's semantics (result
 * visibility per state, injection, scoped argument lookup, retry histories) and a write-first
 * discipline: memory changes only after the store accepted the change. Atoms are described by plain
 * {@link io.taskflow4j.storage.AtomSpec}s, so this package knows nothing of the engine or of the
 * user-facing atom classes.
 *
 * <p><b>API and plumbing.</b> Users meet {@link io.taskflow4j.storage.Storage} (through {@code
 * Engine.storage()}), {@link io.taskflow4j.storage.StorageOptions}, {@link
 * io.taskflow4j.storage.RetryHistory} with its {@link io.taskflow4j.storage.AttemptInfo}, {@link
 * io.taskflow4j.storage.AtomKind} (in engine events) and {@link
 * io.taskflow4j.storage.InvalidResultException}. {@link io.taskflow4j.storage.AtomSpec}, {@link
 * io.taskflow4j.storage.ResultMapping}, {@link io.taskflow4j.storage.ScopeWalker} and {@link
 * io.taskflow4j.storage.StateAndIntention} are public only for the engine and are not API. The rest
 * is package-private: {@code Storage} is a facade over one part per concern (the atom table, result
 * resolution, injection, retry records, the detail writer) and a store writer, which is either the
 * connection writer (write first, the one retry policy, the fence latch, lost-reply recovery) or
 * the private in-memory store a {@code null} connection selects.
 */
package io.taskflow4j.storage;
