package io.taskflow4j.persistence;

/** What the engine intends to do with an atom next; persisted so a resumed run continues it. */
public enum Intention {
  EXECUTE,
  IGNORE,
  REVERT,
  RETRY
}
