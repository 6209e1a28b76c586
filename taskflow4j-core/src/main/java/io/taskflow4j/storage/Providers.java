package io.taskflow4j.storage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The providers of a name that has injected sources, several atoms, or one giving a part. */
final class Providers implements Provided {
  List<String> defaults = List.of();

  // Most such names have one providing atom: it is held in two fields. A second one moves them
  // all to lists (and, past a few, to an index by atom name).
  private AtomEntry first;
  private Object firstKey;
  private List<AtomEntry> entries;
  private List<Object> keys;
  private Map<String, Integer> positions;

  Providers withAtom(AtomEntry e, Object key) {
    putAtom(e, key);
    return this;
  }

  @Override
  public List<String> defaults() {
    return defaults;
  }

  @Override
  public int atomCount() {
    return entries != null ? entries.size() : first != null ? 1 : 0;
  }

  @Override
  public AtomEntry atom(int i) {
    return entries != null ? entries.get(i) : first;
  }

  @Override
  public Object key(int i) {
    return keys != null ? keys.get(i) : firstKey;
  }

  @Override
  public int indexOf(String atomName) {
    if (positions != null) {
      Integer at = positions.get(atomName);
      return at == null ? -1 : at;
    }
    int n = atomCount();
    for (int i = 0; i < n; i++) {
      if (atom(i).name.equals(atomName)) {
        return i;
      }
    }
    return -1;
  }

  void putAtom(AtomEntry e, Object key) {
    int at = indexOf(e.name);
    if (at >= 0) {
      if (entries == null) {
        first = e;
        firstKey = key;
      } else {
        entries.set(at, e);
        keys.set(at, key);
      }
      return;
    }
    if (first == null && entries == null) {
      first = e;
      firstKey = key;
      return;
    }
    if (entries == null) {
      entries = new ArrayList<>(4);
      keys = new ArrayList<>(4);
      entries.add(first);
      keys.add(firstKey);
      first = null;
      firstKey = null;
    }
    entries.add(e);
    keys.add(key);
    if (positions == null && entries.size() > 8) {
      positions = new HashMap<>();
      for (int i = 0; i < entries.size(); i++) {
        positions.put(entries.get(i).name, i);
      }
    } else if (positions != null) {
      positions.put(e.name, entries.size() - 1);
    }
  }
}
