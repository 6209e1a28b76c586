package io.taskflow4j.internal;

import java.util.AbstractCollection;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BiConsumer;

/**
 * An unmodifiable, insertion-ordered map held in one array of alternating keys and values, with a
 * hash index only when it has more than {@value #LINEAR_MAX} entries. It takes a fraction of the
 * memory of a {@code LinkedHashMap} (about 16 + 8·n bytes of array against some 40·n + 130), which
 * matters for the millions of small maps (atom metadata, argument mappings) a large flow keeps
 * alive. Keys are non-null; values may be null.
 *
 * @param <K> key type
 * @param <V> value type
 */
public class ArrayMap<K, V> extends AbstractMap<K, V> {

  private static final int LINEAR_MAX = 8;
  private static final Object[] NO_ENTRIES = new Object[0];

  /** k0, v0, k1, v1, ... */
  private final Object[] kv;

  /** Open-addressing table of entry index + 1 (0 = free); null for small maps. */
  private final int[] index;

  /**
   * A map over {@code keysAndValues} (alternating, distinct non-null keys); the array is taken, not
   * copied.
   */
  protected ArrayMap(Object[] keysAndValues) {
    this.kv = keysAndValues.length == 0 ? NO_ENTRIES : keysAndValues;
    this.index = kv.length / 2 > LINEAR_MAX ? buildIndex(kv) : null;
  }

  /** An unmodifiable copy of {@code map}, in its iteration order. */
  @SuppressWarnings("unchecked")
  public static <K, V> ArrayMap<K, V> copyOf(Map<? extends K, ? extends V> map) {
    if (map instanceof ArrayMap<?, ?> a && a.getClass() == ArrayMap.class) {
      return (ArrayMap<K, V>) a;
    }
    return new ArrayMap<>(toArray(map));
  }

  /**
   * A map of the given alternating keys and values, in that order (a few entries: the keys are
   * compared pairwise).
   *
   * @throws IllegalArgumentException when a key is null or repeated, or a value has no key
   */
  public static <K, V> ArrayMap<K, V> ofEntries(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must alternate");
    }
    for (int i = 0; i < keysAndValues.length; i += 2) {
      Object k = keysAndValues[i];
      if (k == null) {
        throw new IllegalArgumentException("a map key must not be null");
      }
      for (int j = 0; j < i; j += 2) {
        if (k.equals(keysAndValues[j])) {
          throw new IllegalArgumentException("key '" + k + "' is repeated");
        }
      }
    }
    return new ArrayMap<>(keysAndValues.clone());
  }

  /**
   * A map over {@code keysAndValues}, alternating keys and values, taken and not copied: the caller
   * guarantees distinct non-null keys and does not change the array afterwards.
   */
  public static <K, V> ArrayMap<K, V> ofDistinct(Object[] keysAndValues) {
    return new ArrayMap<>(keysAndValues);
  }

  /** {@code base} with {@code key → value} put over it (replaced in place, or appended). */
  public static <K, V> ArrayMap<K, V> copyWith(
      ArrayMap<? extends K, ? extends V> base, K key, V value) {
    return new ArrayMap<>(with(base, Objects.requireNonNull(key, "key"), value));
  }

  /**
   * An equal map made recently, or {@code map} itself, which is remembered: a large flow makes one
   * small map of each kind per atom (declared argument types, argument mappings), most of them
   * alike, and every one it keeps is one more object for the garbage collector to copy. Only plain
   * {@code ArrayMap}s are shared (a subclass may carry more than its entries).
   */
  @SuppressWarnings("unchecked")
  public static <K, V> ArrayMap<K, V> shared(ArrayMap<K, V> map) {
    if (map.getClass() != ArrayMap.class) {
      return map;
    }
    int slot = Arrays.hashCode(map.kv) & (SHARED.length() - 1);
    ArrayMap<?, ?> known = SHARED.get(slot);
    if (known != null && Arrays.equals(known.kv, map.kv)) {
      return (ArrayMap<K, V>) known;
    }
    SHARED.set(slot, map);
    return map;
  }

  /** Maps {@link #shared} remembers, by their entries' hash. */
  private static final AtomicReferenceArray<ArrayMap<?, ?>> SHARED = new AtomicReferenceArray<>(64);

  /** A map of one entry. */
  public static <K, V> ArrayMap<K, V> of(K key, V value) {
    return new ArrayMap<>(new Object[] {Objects.requireNonNull(key, "key"), value});
  }

  /** The alternating keys and values of {@code map}, with its keys checked non-null. */
  public static Object[] toArray(Map<?, ?> map) {
    Object[] out = new Object[map.size() * 2];
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      out[i++] = Objects.requireNonNull(e.getKey(), "a map key must not be null");
      out[i++] = e.getValue();
    }
    if (i != out.length) {
      return Arrays.copyOf(out, i);
    }
    return out;
  }

  /**
   * The alternating keys and values of {@code map}, to walk it by position: an {@code ArrayMap}'s
   * own array (callers read it and never write it), else a fresh one in the map's iteration order.
   * Iterating an {@code ArrayMap}'s entries makes an object per entry, which hot paths (an engine
   * fetching each atom's arguments) avoid this way. Keys are not checked: null keys of other maps
   * are passed on.
   */
  public static Object[] entriesOf(Map<?, ?> map) {
    if (map instanceof ArrayMap<?, ?> a) {
      return a.kv;
    }
    Object[] out = new Object[map.size() * 2];
    int i = 0;
    for (Map.Entry<?, ?> e : map.entrySet()) {
      out[i++] = e.getKey();
      out[i++] = e.getValue();
    }
    return i == out.length ? out : Arrays.copyOf(out, i);
  }

  /**
   * The alternating keys and values of {@code base} with {@code key → value} put over it: replaced
   * in place when present, appended otherwise.
   */
  public static Object[] with(ArrayMap<?, ?> base, Object key, Object value) {
    int at = base.find(key);
    if (at >= 0) {
      Object[] out = base.kv.clone();
      out[2 * at + 1] = value;
      return out;
    }
    Object[] out = Arrays.copyOf(base.kv, base.kv.length + 2);
    out[base.kv.length] = key;
    out[base.kv.length + 1] = value;
    return out;
  }

  /** A copy of this map's alternating keys and values, with room for {@code extra} more entries. */
  protected final Object[] entriesWithRoom(int extra) {
    return Arrays.copyOf(kv, kv.length + 2 * extra);
  }

  /** The position of {@code key} in this map's insertion order, or -1. */
  public final int indexOfKey(Object key) {
    return find(key);
  }

  /** The position of {@code key} in this map's entries, or -1. */
  protected final int find(Object key) {
    if (key == null) {
      return -1;
    }
    Object[] a = kv;
    int[] idx = index;
    if (idx == null) {
      for (int i = 0; i < a.length; i += 2) {
        Object k = a[i];
        if (k == key || k.equals(key)) {
          return i >> 1;
        }
      }
      return -1;
    }
    int mask = idx.length - 1;
    for (int slot = spread(key.hashCode()) & mask; ; slot = (slot + 1) & mask) {
      int e = idx[slot];
      if (e == 0) {
        return -1;
      }
      Object k = a[2 * (e - 1)];
      if (k == key || k.equals(key)) {
        return e - 1;
      }
    }
  }

  private static int[] buildIndex(Object[] kv) {
    int n = kv.length / 2;
    int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
    int[] idx = new int[cap];
    int mask = cap - 1;
    for (int i = 0; i < n; i++) {
      Object k = kv[2 * i];
      int slot = spread(k.hashCode()) & mask;
      while (idx[slot] != 0) {
        if (kv[2 * (idx[slot] - 1)].equals(k)) {
          throw new IllegalArgumentException("duplicate key " + k);
        }
        slot = (slot + 1) & mask;
      }
      idx[slot] = i + 1;
    }
    return idx;
  }

  /** A hash scrambled so that consecutive codes ({@code k1, k2, ...}) do not fill one run. */
  private static int spread(int h) {
    int x = h * 0x9E3779B9;
    return x ^ (x >>> 16);
  }

  /**
   * The key of entry {@code i}, in insertion order.
   *
   * @throws IndexOutOfBoundsException when there is no such entry
   */
  @SuppressWarnings("unchecked")
  public final K keyAt(int i) {
    Objects.checkIndex(i, size());
    return (K) kv[2 * i];
  }

  @Override
  public final int size() {
    return kv.length >> 1;
  }

  @Override
  public final boolean isEmpty() {
    return kv.length == 0;
  }

  @Override
  @SuppressWarnings("unchecked")
  public final V get(Object key) {
    int at = find(key);
    return at < 0 ? null : (V) kv[2 * at + 1];
  }

  @Override
  public final boolean containsKey(Object key) {
    return find(key) >= 0;
  }

  @Override
  @SuppressWarnings("unchecked")
  public final void forEach(BiConsumer<? super K, ? super V> action) {
    Object[] a = kv;
    for (int i = 0; i < a.length; i += 2) {
      action.accept((K) a[i], (V) a[i + 1]);
    }
  }

  @Override
  public final Set<Map.Entry<K, V>> entrySet() {
    return new Entries(); // not cached: a field would cost every map 4 bytes
  }

  /**
   * The keys, as a fresh view: {@code AbstractMap} would cache the view in the map, so a map asked
   * once would keep one more object alive for as long as it lives.
   */
  @Override
  public final Set<K> keySet() {
    return new AbstractSet<>() {
      @Override
      @SuppressWarnings("unchecked")
      public Iterator<K> iterator() {
        Object[] a = kv;
        return ArrayIterator.over(a.length, 2, i -> (K) a[i]);
      }

      @Override
      public int size() {
        return kv.length >> 1;
      }

      @Override
      public boolean contains(Object o) {
        return find(o) >= 0;
      }
    };
  }

  /** The values, as a fresh view (see {@link #keySet}). */
  @Override
  public final Collection<V> values() {
    return new AbstractCollection<>() {
      @Override
      @SuppressWarnings("unchecked")
      public Iterator<V> iterator() {
        Object[] a = kv;
        return ArrayIterator.over(a.length, 2, i -> (V) a[i + 1]);
      }

      @Override
      public int size() {
        return kv.length >> 1;
      }
    };
  }

  private final class Entries extends AbstractSet<Map.Entry<K, V>> {
    @Override
    @SuppressWarnings("unchecked")
    public Iterator<Map.Entry<K, V>> iterator() {
      Object[] a = kv;
      return ArrayIterator.over(
          a.length, 2, i -> new SimpleImmutableEntry<>((K) a[i], (V) a[i + 1]));
    }

    @Override
    public int size() {
      return kv.length >> 1;
    }
  }
}
