package io.taskflow4j.persistence;

import io.taskflow4j.internal.ArrayIterator;
import io.taskflow4j.internal.ArrayMap;
import io.taskflow4j.internal.Timestamps;
import java.time.Instant;
import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The unmodifiable collections that {@link Json} builds JSON values from: a small insertion-ordered
 * map over one array, a map that keeps the revision stamp of a stored record next to its entries,
 * and a list over one array. They are what every stored value is made of, so they are kept lean: no
 * copies on read, and equality and hashing as {@link java.util.Map} and {@link java.util.List}
 * define them.
 */
final class JsonCollections {
  private JsonCollections() {}

  /** An unmodifiable map made by {@link Json#freeze}; its type marks it as normalised. */
  static final class FrozenMap extends ArrayMap<String, Object> {
    FrozenMap(Object[] keysAndValues) {
      super(keysAndValues);
    }

    /** This map with {@code entries} (normalised here) put over it. */
    Map<String, Object> with(Map<String, ?> entries) {
      if (size() + entries.size() <= StampedMap.MAX_ENTRIES && Json.hasCompactable(entries)) {
        return StampedMap.merge(entriesWithRoom(0), null, null, Double.NaN, Double.NaN, entries);
      }
      if (entries.size() == 1) {
        Map.Entry<String, ?> e = entries.entrySet().iterator().next();
        if (e.getKey() == null) {
          throw new IllegalArgumentException("a JSON object key must not be null");
        }
        return new FrozenMap(ArrayMap.with(this, e.getKey(), Json.normalize(e.getValue())));
      }
      Object[] kv = entriesWithRoom(entries.size());
      int base = size();
      int count = base;
      for (Map.Entry<String, ?> e : entries.entrySet()) {
        String k = e.getKey();
        if (k == null) {
          throw new IllegalArgumentException("a JSON object key must not be null");
        }
        Object v = Json.normalize(e.getValue());
        // The keys of entries are distinct: only a key of this map can repeat.
        int at = find(k);
        if (at >= 0) {
          kv[2 * at + 1] = v;
        } else {
          kv[2 * count] = k;
          kv[2 * count + 1] = v;
          count++;
        }
      }
      return new FrozenMap(count * 2 == kv.length ? kv : Arrays.copyOf(kv, count * 2));
    }
  }

  /**
   * A small frozen map (at most {@value #MAX_ENTRIES} entries) whose up to two {@link Stamp}s and
   * two {@code Double}s are held in fields, with a marker in their place among the entries. Its
   * entries array holds only the other values, which for an engine's metadata (attempt, host,
   * process, user, progress) are the same for every atom: maps with equal arrays share one. So an
   * atom's metadata costs one object instead of seven, which a large flow, whose every atom stays
   * alive for its whole run, feels in every garbage collection. Reads give the stored form: a stamp
   * as its ISO-8601 text, the double boxed.
   */
  static final class StampedMap extends AbstractMap<String, Object> {
    static final int MAX_ENTRIES = 12;
    private static final Object STAMP0 = new Object();
    private static final Object STAMP1 = new Object();
    private static final Object DOUBLE0 = new Object();
    private static final Object DOUBLE1 = new Object();

    /**
     * Entries arrays made recently, by their contents' hash: a new array equal to the one in its
     * slot is replaced by it. An engine alternates two shapes per atom (running, then done), so one
     * remembered array would never match. Published through the atomic array, so a thread that
     * shares an array another made sees it whole; a lost update only costs one sharing.
     */
    private static final AtomicReferenceArray<Object[]> SHARED = new AtomicReferenceArray<>(32);

    private final Object[] kv;
    private final long seconds0;
    private final long seconds1;
    private final int nanos0;
    private final int nanos1;
    private final double double0;
    private final double double1;

    private StampedMap(Object[] kv, Instant s0, Instant s1, double d0, double d1) {
      this.kv = kv;
      this.seconds0 = s0 == null ? 0 : s0.getEpochSecond();
      this.nanos0 = s0 == null ? 0 : s0.getNano();
      this.seconds1 = s1 == null ? 0 : s1.getEpochSecond();
      this.nanos1 = s1 == null ? 0 : s1.getNano();
      this.double0 = d0;
      this.double1 = d1;
    }

    /**
     * {@code baseKv} (alternating keys and normalised values, markers standing for {@code s0},
     * {@code s1} and {@code d0}) with {@code entries} put over it.
     */
    static Map<String, Object> merge(
        Object[] baseKv, Instant s0, Instant s1, double d0, double d1, Map<String, ?> entries) {
      int baseCount = baseKv.length / 2;
      // Read by position: iterating a compact map's entries makes an object per entry.
      Object[] pairs = ArrayMap.entriesOf(entries);
      int m = pairs.length / 2;
      int added = 0;
      for (int j = 0; j < m; j++) {
        String k = (String) pairs[2 * j];
        if (k == null) {
          throw new IllegalArgumentException("a JSON object key must not be null");
        }
        if (indexOfKey(baseKv, baseCount, k) < 0) {
          added++;
        }
      }
      // Sized exactly: the keys of entries are distinct, so each is either in base or new.
      Object[] kv = Arrays.copyOf(baseKv, 2 * (baseCount + added));
      int count = baseCount;
      for (int j = 0; j < m; j++) {
        String k = (String) pairs[2 * j];
        int at = indexOfKey(kv, baseCount, k);
        if (at >= 0) {
          Object old = kv[2 * at + 1];
          if (old == STAMP0) {
            s0 = null;
          } else if (old == STAMP1) {
            s1 = null;
          } else if (old == DOUBLE0) {
            d0 = Double.NaN;
          } else if (old == DOUBLE1) {
            d1 = Double.NaN;
          }
        } else {
          at = count++;
          kv[2 * at] = k;
        }
        Object v = pairs[2 * j + 1];
        Object stored;
        if (v instanceof Stamp st && s0 == null) {
          s0 = st.instant();
          stored = STAMP0;
        } else if (v instanceof Stamp st && s1 == null) {
          s1 = st.instant();
          stored = STAMP1;
        } else {
          stored = Json.normalize(v);
          if (stored instanceof Double d && !d.isNaN() && Double.isNaN(d0)) {
            d0 = d;
            stored = DOUBLE0;
          } else if (stored instanceof Double d && !d.isNaN() && Double.isNaN(d1)) {
            d1 = d;
            stored = DOUBLE1;
          }
        }
        kv[2 * at + 1] = stored;
      }
      if (s0 == null && s1 == null && Double.isNaN(d0) && Double.isNaN(d1)) {
        return new FrozenMap(kv);
      }
      kv = shared(kv);
      return new StampedMap(kv, s0, s1, d0, d1);
    }

    /**
     * An array equal to {@code kv} from {@link #SHARED}, or {@code kv}, remembered. Two slots per
     * hash, the newer first: two shapes that an engine alternates may share a hash slot, and with
     * one slot each would push the other out every time.
     */
    private static Object[] shared(Object[] kv) {
      int mask = SHARED.length() - 1;
      int slot = Arrays.hashCode(kv) & mask;
      Object[] first = SHARED.get(slot);
      if (Arrays.equals(kv, first)) {
        return first;
      }
      Object[] second = SHARED.get((slot + 1) & mask);
      if (Arrays.equals(kv, second)) {
        return second;
      }
      if (first != null) {
        SHARED.set((slot + 1) & mask, first);
      }
      SHARED.set(slot, kv);
      return kv;
    }

    /** The position of {@code key} among the first {@code count} keys of {@code kv}, or -1. */
    private static int indexOfKey(Object[] kv, int count, String key) {
      for (int i = 0; i < count; i++) {
        if (kv[2 * i].equals(key)) {
          return i;
        }
      }
      return -1;
    }

    Map<String, Object> with(Map<String, ?> entries) {
      if (size() + entries.size() > MAX_ENTRIES) {
        return new FrozenMap(ArrayMap.toArray(this)).with(entries);
      }
      return merge(
          kv,
          stamp(STAMP0),
          stamp(STAMP1),
          holds(DOUBLE0) ? double0 : Double.NaN,
          holds(DOUBLE1) ? double1 : Double.NaN,
          entries);
    }

    private boolean holds(Object marker) {
      for (int i = 1; i < kv.length; i += 2) {
        if (kv[i] == marker) {
          return true;
        }
      }
      return false;
    }

    private Instant stamp(Object marker) {
      for (int i = 1; i < kv.length; i += 2) {
        if (kv[i] == marker) {
          return marker == STAMP0
              ? Instant.ofEpochSecond(seconds0, nanos0)
              : Instant.ofEpochSecond(seconds1, nanos1);
        }
      }
      return null;
    }

    private Object render(Object v) {
      if (v == STAMP0) {
        return Timestamps.iso(Instant.ofEpochSecond(seconds0, nanos0));
      }
      if (v == STAMP1) {
        return Timestamps.iso(Instant.ofEpochSecond(seconds1, nanos1));
      }
      if (v == DOUBLE0) {
        return double0;
      }
      if (v == DOUBLE1) {
        return double1;
      }
      return v;
    }

    private int find(Object key) {
      for (int i = 0; i < kv.length; i += 2) {
        if (kv[i].equals(key)) {
          return i >> 1;
        }
      }
      return -1;
    }

    @Override
    public Object get(Object key) {
      int at = find(key);
      return at < 0 ? null : render(kv[2 * at + 1]);
    }

    @Override
    public boolean containsKey(Object key) {
      return find(key) >= 0;
    }

    @Override
    public int size() {
      return kv.length >> 1;
    }

    @Override
    public boolean isEmpty() {
      return kv.length == 0;
    }

    @Override
    public Set<String> keySet() {
      Set<String> keys = new LinkedHashSet<>();
      for (int i = 0; i < kv.length; i += 2) {
        keys.add((String) kv[i]);
      }
      return Collections.unmodifiableSet(keys); // a fresh copy: a cached view would cost a field
    }

    @Override
    public Collection<Object> values() {
      List<Object> out = new ArrayList<>(size());
      for (int i = 1; i < kv.length; i += 2) {
        out.add(render(kv[i]));
      }
      return Collections.unmodifiableList(out);
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
      return new AbstractSet<>() {
        @Override
        public Iterator<Map.Entry<String, Object>> iterator() {
          return ArrayIterator.over(
              kv.length, 2, i -> new SimpleImmutableEntry<>((String) kv[i], render(kv[i + 1])));
        }

        @Override
        public int size() {
          return kv.length >> 1;
        }
      };
    }
  }

  /** An unmodifiable list made by {@link Json#freeze}; its type marks it as normalised. */
  static final class FrozenList extends AbstractList<Object> implements RandomAccess {
    private final Object[] items;

    FrozenList(Object[] items) {
      this.items = items;
    }

    @Override
    public Object get(int index) {
      return items[index];
    }

    @Override
    public int size() {
      return items.length;
    }
  }
}
