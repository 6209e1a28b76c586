package io.taskflow4j.internal;

/** Sizes hash-based collections so they hold a known number of entries without rehashing. */
public final class Capacity {

  private Capacity() {}

  /** The initial capacity of a {@code HashMap} or {@code HashSet} that holds {@code n} entries. */
  public static int forEntries(int n) {
    return (int) (n / 0.75f) + 1;
  }
}
