package io.taskflow4j.storage;

import java.util.List;

/**
 * Who provides one result name: injected sources first, then atoms (each with its key). Two kinds
 * only, an {@link AtomEntry} (a sole atom giving its whole result) and {@link Providers}, so calls
 * stay bimorphic.
 */
interface Provided {
  /** {@code null} = transient values, else the injector's name; in registration order. */
  List<String> defaults();

  int atomCount();

  /** The {@code i}-th providing atom, in registration order. */
  AtomEntry atom(int i);

  /** How the {@code i}-th providing atom's result gives this name. */
  Object key(int i);

  /** The position of providing atom {@code atomName}, or -1. */
  int indexOf(String atomName);
}
