package io.taskflow4j.engine;

import io.taskflow4j.Atom;
import io.taskflow4j.FlowElement;
import io.taskflow4j.Retry;
import io.taskflow4j.flow.CyclicDependencyException;
import io.taskflow4j.flow.Flow;
import io.taskflow4j.flow.GraphFlow;
import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.NameIndex;
import io.taskflow4j.persistence.DuplicateException;
import io.taskflow4j.storage.Storage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a flow into a {@link Compilation}. Linear in the number of atoms and links: atoms are
 * indexed by name, flows are joined through synthetic start/end nodes, and the argument scope of
 * each atom is resolved against the (usually single) providers of each name it needs, instead of
 * walking everything visible.
 */
final class Compiler {

  /** A flow as a scope: where it sits in its parent, and (for graphs) its children's links. */
  private static final class Scope {
    final Flow flow;
    final Scope parent;
    final int indexInParent;
    final int depth;

    /** Graph flows: for each child, the children linked before it. */
    List<IntList> childPreds;

    Scope(Flow flow, Scope parent, int indexInParent) {
      this.flow = flow;
      this.parent = parent;
      this.indexInParent = indexInParent;
      this.depth = parent == null ? 0 : parent.depth + 1;
    }
  }

  private final List<Atom> atoms = new ArrayList<>();
  private final List<Scope> atomScope = new ArrayList<>();
  private final IntList atomChildIndex = new IntList();
  private final IntList retryOf = new IntList();
  private final Map<Integer, Integer> scopeEnds = new HashMap<>();
  private final List<String> syntheticLabels = new ArrayList<>();
  private final List<Scope> syntheticScope = new ArrayList<>();
  private final IntList edgeFrom = new IntList(64);
  private final IntList edgeTo = new IntList(64);
  private final Map<Flow, Boolean> onPath = new IdentityHashMap<>();

  private Compiler() {}

  static Compilation compile(Flow root) {
    return new Compiler().run(root);
  }

  private Compilation run(Flow root) {
    compileFlow(root, null, 0, -1);
    int n = atoms.size();
    NameIndex<Atom> index = checkNames(n);
    int nodeCount = n + syntheticLabels.size();
    int edges = edgeFrom.size();
    int[] from = new int[edges];
    int[] to = new int[edges];
    for (int i = 0; i < edges; i++) {
      from[i] = node(edgeFrom.get(i), n);
      to[i] = node(edgeTo.get(i), n);
    }
    int[] succStart = new int[nodeCount + 1];
    int[] predStart = new int[nodeCount + 1];
    for (int i = 0; i < edges; i++) {
      succStart[from[i] + 1]++;
      predStart[to[i] + 1]++;
    }
    for (int i = 0; i < nodeCount; i++) {
      succStart[i + 1] += succStart[i];
      predStart[i + 1] += predStart[i];
    }
    int[] succ = new int[edges];
    int[] pred = new int[edges];
    int[] sFill = new int[nodeCount];
    int[] pFill = new int[nodeCount];
    for (int i = 0; i < edges; i++) {
      succ[succStart[from[i]] + sFill[from[i]]++] = to[i];
      pred[predStart[to[i]] + pFill[to[i]]++] = from[i];
    }
    int[] topo = topologicalOrder(nodeCount, succStart, succ, predStart, pred, n);
    Atom[] atomArray = atoms.toArray(new Atom[0]);
    int[] ends = new int[n];
    java.util.Arrays.fill(ends, -1);
    scopeEnds.forEach((r, e) -> ends[r] = e);
    return new Compilation(
        root,
        atomArray,
        index,
        nodeCount,
        succStart,
        succ,
        predStart,
        pred,
        topo,
        retryOf.toArray(),
        ends,
        resolveScopes(atomArray));
  }

  /** Provisional ids: atoms are >= 0, synthetic nodes are -(k+1); remapped after numbering. */
  private static int node(int provisional, int atomCount) {
    return provisional >= 0 ? provisional : atomCount + (-provisional - 1);
  }

  private int synthetic(String label, Scope scope) {
    syntheticLabels.add(label);
    syntheticScope.add(scope);
    return -syntheticLabels.size();
  }

  private void edge(int from, int to) {
    edgeFrom.add(from);
    edgeTo.add(to);
  }

  private int addAtom(Atom atom, Scope scope, int childIndex, int guardingRetry) {
    atom.seal();
    int id = atoms.size();
    atoms.add(atom);
    atomScope.add(scope);
    atomChildIndex.add(childIndex);
    retryOf.add(guardingRetry);
    return id;
  }

  /** Compiles a flow; returns its {start, end} node ids. */
  private int[] compileFlow(Flow flow, Scope parent, int indexInParent, int guardingRetry) {
    if (onPath.put(flow, Boolean.TRUE) != null) {
      throw new IllegalArgumentException(
          "flow '" + flow.name() + "' is nested inside itself; a flow cannot contain itself");
    }
    Scope scope = new Scope(flow, parent, indexInParent);
    int start = synthetic(flow.name(), parent);
    int end = synthetic(flow.name(), parent);
    int source = start;
    int innerRetry = guardingRetry;
    Retry retry = flow.retry().orElse(null);
    if (retry != null) {
      int r = addAtom(retry, scope, -1, guardingRetry);
      edge(start, r);
      source = r;
      innerRetry = r;
    }
    List<FlowElement> children = flow.children();
    int[][] ends = new int[children.size()][];
    for (int i = 0; i < children.size(); i++) {
      FlowElement child = children.get(i);
      if (child instanceof Atom a) {
        int id = addAtom(a, scope, i, innerRetry);
        ends[i] = new int[] {id, id};
      } else if (child instanceof Flow f) {
        ends[i] = compileFlow(f, scope, i, innerRetry);
      } else {
        throw new IllegalArgumentException(
            "flow '"
                + flow.name()
                + "' contains "
                + child.getClass().getName()
                + "; only atoms (Task, Retry) and flows can be run");
      }
    }
    if (retry != null) {
      scopeEnds.put(source, atoms.size());
    }
    switch (flow.kind()) {
      case LINEAR -> {
        int prev = source;
        for (int[] c : ends) {
          edge(prev, c[0]);
          prev = c[1];
        }
        edge(prev, end);
      }
      case UNORDERED -> {
        for (int[] c : ends) {
          edge(source, c[0]);
          edge(c[1], end);
        }
        if (ends.length == 0) {
          edge(source, end);
        }
      }
      case GRAPH -> linkGraph((GraphFlow) flow, scope, ends, source, end);
    }
    onPath.remove(flow);
    return new int[] {start, end};
  }

  private void linkGraph(GraphFlow flow, Scope scope, int[][] ends, int source, int end) {
    List<FlowElement> children = flow.children();
    int k = children.size();
    Map<FlowElement, Integer> pos = new IdentityHashMap<>();
    for (int i = 0; i < k; i++) {
      pos.putIfAbsent(children.get(i), i);
    }
    Set<Long> seen = new HashSet<>();
    List<IntList> preds = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      preds.add(new IntList(2));
    }
    boolean[] hasIn = new boolean[k];
    boolean[] hasOut = new boolean[k];
    List<int[]> links = new ArrayList<>();
    for (GraphFlow.Link l : flow.links()) {
      links.add(new int[] {pos.get(l.from()), pos.get(l.to())});
    }
    // Inferred links: a child requiring a name a sibling provides runs after that sibling.
    Map<String, IntList> providers = new HashMap<>();
    List<Set<String>> requires = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      Set<String> provided = new HashSet<>();
      Set<String> required = new LinkedHashSet<>();
      summarize(children.get(i), provided, required);
      required.removeAll(provided);
      requires.add(required);
      for (String p : provided) {
        providers.computeIfAbsent(p, x -> new IntList(1)).add(i);
      }
    }
    for (int j = 0; j < k; j++) {
      for (String r : requires.get(j)) {
        IntList ps = providers.get(r);
        if (ps != null) {
          for (int x = 0; x < ps.size(); x++) {
            if (ps.get(x) != j) {
              links.add(new int[] {ps.get(x), j});
            }
          }
        }
      }
    }
    for (int[] l : links) {
      if (seen.add(((long) l[0] << 32) | l[1])) {
        edge(ends[l[0]][1], ends[l[1]][0]);
        preds.get(l[1]).add(l[0]);
        hasOut[l[0]] = true;
        hasIn[l[1]] = true;
      }
    }
    for (int i = 0; i < k; i++) {
      if (!hasIn[i]) {
        edge(source, ends[i][0]);
      }
      if (!hasOut[i]) {
        edge(ends[i][1], end);
      }
    }
    if (k == 0) {
      edge(source, end);
    }
    scope.childPreds = preds;
  }

  /** What an element provides and requires as a whole (its atoms' names, rebinding applied). */
  private static void summarize(FlowElement e, Set<String> provided, Set<String> required) {
    if (e instanceof Atom a) {
      a.seal();
      provided.addAll(a.provides().names());
      required.addAll(a.requires());
    } else if (e instanceof Flow f) {
      f.retry().ifPresent(r -> summarize(r, provided, required));
      for (FlowElement c : f.children()) {
        summarize(c, provided, required);
      }
    }
  }

  /** The atoms by name, once their names are known to be unique and not reserved. */
  private NameIndex<Atom> checkNames(int n) {
    NameIndex<Atom> index = new NameIndex<>(Atom::name, n);
    Set<String> duplicates = new LinkedHashSet<>();
    for (int i = 0; i < atoms.size(); i++) {
      if (i % 32 == 0) {
        index.prefetch(i, Math.min(atoms.size(), i + 32), k -> atoms.get(k).name());
      }
      Atom a = atoms.get(i);
      if (a.name().equals(Storage.INJECTOR_NAME)) {
        throw new IllegalArgumentException(
            "'" + Storage.INJECTOR_NAME + "' is reserved for injected values; rename the atom");
      }
      if (index.add(a) < 0) {
        duplicates.add(a.name());
      }
    }
    if (!duplicates.isEmpty()) {
      throw new DuplicateException(
          "Atoms with duplicate names found: "
              + duplicates
              + " (atom names must be unique within a flow, including nested flows)");
    }
    return index;
  }

  private int[] topologicalOrder(
      int nodeCount, int[] succStart, int[] succ, int[] predStart, int[] pred, int atomCount) {
    int[] indegree = new int[nodeCount];
    for (int v = 0; v < nodeCount; v++) {
      indegree[v] = predStart[v + 1] - predStart[v];
    }
    int[] order = new int[nodeCount];
    int head = 0;
    int tail = 0;
    for (int v = 0; v < nodeCount; v++) {
      if (indegree[v] == 0) {
        order[tail++] = v;
      }
    }
    while (head < tail) {
      int v = order[head++];
      for (int e = succStart[v]; e < succStart[v + 1]; e++) {
        if (--indegree[succ[e]] == 0) {
          order[tail++] = succ[e];
        }
      }
    }
    if (tail < nodeCount) {
      throw cycleError(indegree, predStart, pred, atomCount);
    }
    return order;
  }

  /** Follows unfinished predecessors from a node left on a cycle until one repeats. */
  private CyclicDependencyException cycleError(
      int[] indegree, int[] predStart, int[] pred, int atomCount) {
    int v = 0;
    while (indegree[v] == 0) {
      v++;
    }
    Map<Integer, Integer> step = new LinkedHashMap<>();
    List<Integer> walk = new ArrayList<>();
    while (!step.containsKey(v)) {
      step.put(v, walk.size());
      walk.add(v);
      int next = -1;
      for (int e = predStart[v]; e < predStart[v + 1]; e++) {
        if (indegree[pred[e]] > 0) {
          next = pred[e];
          break;
        }
      }
      v = next;
    }
    List<Integer> cycle = new ArrayList<>(walk.subList(step.get(v), walk.size()));
    Collections.reverse(cycle);
    List<String> labels = new ArrayList<>();
    Scope owner = null;
    for (int node : cycle) {
      String label;
      Scope s;
      if (node < atomCount) {
        label = atoms.get(node).name();
        s = atomScope.get(node);
      } else {
        label = syntheticLabels.get(node - atomCount);
        s = syntheticScope.get(node - atomCount);
      }
      if (labels.isEmpty() || !labels.get(labels.size() - 1).equals(label)) {
        labels.add(label);
      }
      if (s != null && (owner == null || s.depth < owner.depth)) {
        owner = s;
      }
    }
    if (labels.size() > 1 && labels.get(0).equals(labels.get(labels.size() - 1))) {
      labels.remove(labels.size() - 1);
    }
    labels.add(labels.get(0));
    return new CyclicDependencyException(owner == null ? "?" : owner.flow.name(), labels);
  }

  // ---- scopes: which providers each atom can see, nearest first ----

  /**
   * Per atom: the providers of its arguments it can see, nearest level first; a single provider as
   * its name alone, several as a {@code List<List<String>>} (see {@link Compilation#levels}).
   */
  private Object[] resolveScopes(Atom[] atomArray) {
    int n = atomArray.length;
    // Provided name → the atoms providing it, kept as chains in int arrays (one link per pair of
    // atom and name, the name's newest link first): no object per name, which for a chain means
    // none per atom. The pairs are listed first, so that the index can read ahead (prefetch).
    List<String> pairName = new ArrayList<>(n);
    IntList pairAtom = new IntList(n);
    for (int i = 0; i < n; i++) {
      for (String name : atomArray[i].provides().names()) {
        pairName.add(name);
        pairAtom.add(i);
      }
    }
    NameIndex<String> provided = new NameIndex<>(name -> name, pairName.size());
    IntList head = new IntList(n);
    IntList linkAtom = new IntList(n);
    IntList linkNext = new IntList(n);
    for (int pair = 0; pair < pairName.size(); pair++) {
      if (pair % 32 == 0) {
        provided.prefetch(pair, Math.min(pairName.size(), pair + 32), pairName::get);
      }
      int k = provided.add(pairName.get(pair));
      if (k >= 0) {
        head.add(-1);
      } else {
        k = -1 - k;
      }
      linkAtom.add(pairAtom.get(pair));
      linkNext.add(head.get(k));
      head.set(k, linkAtom.size() - 1);
    }
    Object[] levels = new Object[n];
    int hint = -1;
    for (int c = 0; c < n; c++) {
      // depth (deeper = nearer) → rank → provider names
      TreeMap<Integer, TreeMap<Long, String>> found = null;
      // The common case, one visible provider, needs no ordering: held here until a second one.
      String only = null;
      long onlyKey = 0;
      int onlyDepth = 0;
      Object[] mapping = ArrayMap.entriesOf(atomArray[c].argumentMapping());
      for (int w = 1; w < mapping.length; w += 2) {
        String wanted = (String) mapping[w];
        // In flow order, an atom usually wants what the atom before it provides.
        int k = provided.indexOf(wanted, hint);
        if (k < 0) {
          continue;
        }
        hint = k;
        for (int link = head.get(k); link >= 0; link = linkNext.get(link)) {
          int p = linkAtom.get(link);
          if (p == c) {
            continue;
          }
          long[] where = locate(p, c);
          if (where == null) {
            continue;
          }
          // Within a level: smaller distance first, then the later atom (nearer in flow order).
          long key = (where[1] << 32) | (0xFFFFFFFFL - p);
          if (only == null && found == null) {
            only = atomArray[p].name();
            onlyKey = key;
            onlyDepth = (int) where[0];
            continue;
          }
          if (found == null) {
            found = new TreeMap<>(Collections.reverseOrder());
            found.computeIfAbsent(onlyDepth, d -> new TreeMap<>()).put(onlyKey, only);
          }
          found.computeIfAbsent((int) where[0], d -> new TreeMap<>()).put(key, atomArray[p].name());
        }
      }
      if (found == null) {
        levels[c] = only == null ? List.of() : only;
      } else {
        List<List<String>> out = new ArrayList<>(found.size());
        for (TreeMap<Long, String> level : found.values()) {
          out.add(List.copyOf(new LinkedHashSet<>(level.values())));
        }
        levels[c] =
            out.size() == 1 && out.get(0).size() == 1 ? out.get(0).get(0) : List.copyOf(out);
      }
    }
    return levels;
  }

  /**
   * Whether provider {@code p} runs before (is visible to) consumer {@code c}: {depth of the flow
   * where they meet, distance there}, or null when not visible.
   */
  private long[] locate(int p, int c) {
    Scope sp = atomScope.get(p);
    int ip = atomChildIndex.get(p);
    Scope sc = atomScope.get(c);
    int ic = atomChildIndex.get(c);
    while (sp.depth > sc.depth) {
      ip = sp.indexInParent;
      sp = sp.parent;
    }
    while (sc.depth > sp.depth) {
      ic = sc.indexInParent;
      sc = sc.parent;
    }
    while (sp != sc) {
      ip = sp.indexInParent;
      sp = sp.parent;
      ic = sc.indexInParent;
      sc = sc.parent;
    }
    if (ip == ic) {
      return null; // cannot happen for distinct atoms; defensive
    }
    if (ip == -1) {
      // The flow's retry runs before everything inside the flow: visible, but farthest.
      return new long[] {sp.depth, Integer.MAX_VALUE};
    }
    if (ic == -1) {
      return null; // a retry does not see the atoms it guards
    }
    switch (sp.flow.kind()) {
      case LINEAR:
        return ip < ic ? new long[] {sp.depth, ic - ip} : null;
      case UNORDERED:
        return null;
      default:
        int d = graphDistance(sp, ip, ic);
        return d < 0 ? null : new long[] {sp.depth, d};
    }
  }

  /** Breadth-first search backwards from child {@code to}; distance to {@code from} or -1. */
  private static int graphDistance(Scope scope, int from, int to) {
    List<IntList> preds = scope.childPreds;
    IntList direct = preds.get(to);
    for (int i = 0; i < direct.size(); i++) {
      if (direct.get(i) == from) {
        return 1;
      }
    }
    Map<Integer, Integer> dist = new HashMap<>();
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    dist.put(to, 0);
    queue.add(to);
    while (!queue.isEmpty()) {
      int v = queue.poll();
      IntList ps = preds.get(v);
      for (int i = 0; i < ps.size(); i++) {
        int u = ps.get(i);
        if (!dist.containsKey(u)) {
          int d = dist.get(v) + 1;
          if (u == from) {
            return d;
          }
          dist.put(u, d);
          queue.add(u);
        }
      }
    }
    return -1;
  }
}
