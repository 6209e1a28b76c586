package io.taskflow4j.engine;

import io.taskflow4j.Atom;
import io.taskflow4j.Retry;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.storage.ScopeWalker;
import java.util.List;

/**
 * A flow compiled into an execution graph: atoms numbered {@code 0..atomCount-1} in flow order (a
 * retry before the atoms it guards, so a retry's scope is the contiguous range {@code (r,
 * scopeEnd[r])}), plus two synthetic nodes per flow (its start and end) so that ordering a flow
 * after another costs one edge instead of one per pair of atoms. Adjacency is kept in compressed
 * arrays; every lookup is by index. Immutable after construction.
 */
final class Compilation {
  final Flow flow;
  final int atomCount;
  final int nodeCount;
  final Atom[] atoms;
  final String[] names;

  /** {@link #names}, unmodifiable (what {@link Engine#atomNames()} returns). */
  final List<String> nameList;

  final boolean[] isRetry;

  /** The atoms by name (position = atom index). */
  final NameIndex<Atom> indexByName;

  final int[] succStart;
  final int[] succ;
  final int[] predStart;
  final int[] pred;

  /** Every node in a topological order. */
  final int[] topo;

  /** Per atom: the nearest retry guarding it (not itself), or -1. */
  final int[] retryOf;

  /** Per retry atom: end (exclusive) of the atoms it guards; -1 for tasks. */
  final int[] scopeEnd;

  /**
   * Per atom: the providers of its arguments it can see, nearest level first. A single provider is
   * held as its name alone ({@link #levels(int)} makes the list), sparing a large chain two lists
   * per atom for its whole run.
   */
  private final Object[] levels;

  final ScopeWalker scopeWalker;

  /**
   * @param levels per atom, the providers it can see: a provider's name when it sees only that one,
   *     else a {@code List<List<String>>} of provider names, nearest level first
   */
  Compilation(
      Flow flow,
      Atom[] atoms,
      NameIndex<Atom> indexByName,
      int nodeCount,
      int[] succStart,
      int[] succ,
      int[] predStart,
      int[] pred,
      int[] topo,
      int[] retryOf,
      int[] scopeEnd,
      Object[] levels) {
    this.flow = flow;
    this.atomCount = atoms.length;
    this.nodeCount = nodeCount;
    this.atoms = atoms;
    this.names = new String[atoms.length];
    this.isRetry = new boolean[atoms.length];
    for (int i = 0; i < atoms.length; i++) {
      names[i] = atoms[i].name();
      isRetry[i] = atoms[i] instanceof Retry;
    }
    this.nameList = java.util.Collections.unmodifiableList(java.util.Arrays.asList(names));
    this.indexByName = indexByName;
    this.succStart = succStart;
    this.succ = succ;
    this.predStart = predStart;
    this.pred = pred;
    this.topo = topo;
    this.retryOf = retryOf;
    this.scopeEnd = scopeEnd;
    this.levels = levels;
    this.scopeWalker =
        name -> {
          int i = indexByName.indexOf(name);
          return i < 0 ? List.of() : levels(i);
        };
  }

  /** {@link #scopeWalker}, answering for atom {@code i} itself without a lookup by name. */
  ScopeWalker scopeWalker(int i) {
    String own = names[i];
    List<List<String>> ownLevels = levels(i);
    return name -> name == own ? ownLevels : scopeWalker.visibleLevels(name);
  }

  /** The levels of atom {@code i}: the providers it can see, nearest level first. */
  @SuppressWarnings("unchecked")
  List<List<String>> levels(int i) {
    Object l = levels[i];
    return l instanceof String only ? List.of(List.of(only)) : (List<List<String>>) l;
  }

  boolean isAtom(int node) {
    return node < atomCount;
  }
}
