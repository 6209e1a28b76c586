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
 * <p>Not API, public only because the engine package uses them (Java has no narrower visibility
 * without a module boundary): {@code AtomSpec}, {@code ScopeWalker}, {@code StateAndIntention},
 * {@code ResultMapping} and {@code AttemptInfo}. They may change in any release. ({@link
 * io.taskflow4j.storage.AtomKind} is API: listeners see it in {@code AtomEvent.kind()}.)
 */
package io.taskflow4j.storage;
