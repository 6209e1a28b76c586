package io.taskflow4j.internal;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Elements that carry their own names, in insertion order, found by name in O(1). It holds two
 * arrays and nothing per element, where a {@code LinkedHashMap} keeps an entry object (and often a
 * boxed index) per element: for the hundreds of thousands of atoms of a large flow, kept alive for
 * its whole run, that is that many objects fewer for the garbage collector to trace and copy. Not
 * thread-safe; null elements and names are refused.
 *
 * @param <E> the element type
 */
public final class NameIndex<E> implements Iterable<E> {
  private final Function<? super E, String> nameOf;
  private Object[] items;

  /** The name of each element, by position: a probe compares these, not the elements. */
  private String[] names;

  private int size;

  /**
   * Open addressing: the name's hash in the high half, position + 1 in the low half; 0 is free. One
   * long per slot, so a probe that meets another name is told by the hash alone, without touching
   * that name: at the size of a large flow every touch is a cache miss. Length a power of two.
   */
  private long[] table;

  /**
   * @param nameOf the name of an element (must not change while the element is held); {@code null}
   *     when elements are always added with their names ({@link #computeIfAbsent})
   * @param expected how many elements are expected (a hint: the index grows as needed)
   */
  public NameIndex(Function<? super E, String> nameOf, int expected) {
    this.nameOf = nameOf;
    int cap = Math.max(4, expected);
    this.items = new Object[cap];
    this.names = new String[cap];
    this.table = new long[tableSize(cap)];
  }

  private static int tableSize(int capacity) {
    return Integer.highestOneBit(Math.max(4, capacity) * 2 - 1) << 1;
  }

  /** How many elements are held. */
  public int size() {
    return size;
  }

  /** Whether nothing is held. */
  public boolean isEmpty() {
    return size == 0;
  }

  /** The element at {@code position} (insertion order). */
  @SuppressWarnings("unchecked")
  public E at(int position) {
    Objects.checkIndex(position, size);
    return (E) items[position];
  }

  /** The position of the element named {@code name}, or -1. */
  public int indexOf(String name) {
    if (name == null || size == 0) {
      return -1;
    }
    int slot = probe(name);
    return slot < 0 ? -1 - slot : -1;
  }

  /**
   * {@link #indexOf}, trying first the position {@code hint + 1} (by name) and {@code hint} (by
   * identity of the name). Callers that walk a flow in order (an engine running a chain,
   * validating, loading states) pass the position they found last, and then need no hash lookup: at
   * the size of a large flow each lookup is a cache miss, while the next position is usually
   * already in cache.
   */
  public int indexOf(String name, int hint) {
    if (hint >= 0 && hint + 1 < size) {
      String[] n = names;
      if (n[hint + 1] == name || n[hint + 1].equals(name)) {
        return hint + 1;
      }
      if (n[hint] == name) {
        return hint;
      }
    }
    return indexOf(name);
  }

  /** The element at {@code position}, unchecked beyond the array bounds (callers found it). */
  @SuppressWarnings("unchecked")
  public E atFound(int position) {
    return (E) items[position];
  }

  /** The element named {@code name}, or {@code null}. */
  @SuppressWarnings("unchecked")
  public E get(String name) {
    int p = indexOf(name);
    return p < 0 ? null : (E) items[p];
  }

  /**
   * Adds {@code element}, or puts it in the place of the element of the same name.
   *
   * @return its position
   */
  public int put(E element) {
    String name = nameOf(element);
    int slot = probe(name);
    if (slot < 0) {
      int at = -slot - 1;
      items[at] = element;
      return at;
    }
    return append(element, name, slot);
  }

  /**
   * Adds {@code element} unless an element of the same name is held.
   *
   * @return the position of the element added, or {@code -1 - p} when one named alike is held at
   *     position {@code p} (and this one was not added)
   */
  public int add(E element) {
    String name = nameOf(element);
    int slot = probe(name);
    return slot < 0 ? slot : append(element, name, slot);
  }

  /**
   * The element named {@code name}, made by {@code make} and added when none is held. One probe of
   * the table: at the size of a large flow, each is a cache miss.
   */
  @SuppressWarnings("unchecked")
  public E computeIfAbsent(String name, Function<String, ? extends E> make) {
    Objects.requireNonNull(name, "element name");
    int slot = probe(name);
    if (slot < 0) {
      return (E) items[-slot - 1];
    }
    E made = Objects.requireNonNull(make.apply(name), "element");
    append(made, name, slot);
    return made;
  }

  /**
   * Puts {@code element} in the place of the element named {@code name}.
   *
   * @throws java.util.NoSuchElementException when none is
   */
  public void replace(String name, E element) {
    Objects.requireNonNull(element, "element");
    int at = indexOf(name);
    if (at < 0) {
      throw new java.util.NoSuchElementException("no element named '" + name + "'");
    }
    items[at] = element;
  }

  /**
   * Reads the table slots where the names {@code nameAt(from)} to {@code nameAt(to - 1)} start
   * their probes, so that adding or finding them next meets them in cache. The reads are
   * independent of each other, so the processor overlaps their cache misses, where one probe after
   * another waits for each in turn: at the size of a large flow the table is far larger than the
   * processor's caches. A hint only; null names are skipped.
   */
  public void prefetch(int from, int to, IntFunction<String> nameAt) {
    long[] t = table;
    int mask = t.length - 1;
    long seen = 0;
    for (int i = from; i < to; i++) {
      String name = nameAt.apply(i);
      if (name != null) {
        seen += t[hash(name) & mask];
      }
    }
    prefetched = seen; // kept, so that the reads are not optimised away
  }

  /** What {@link #prefetch} read last (unused: it only keeps the reads). */
  @SuppressWarnings("unused")
  private long prefetched;

  /** The name of the element at {@code position}. */
  public String nameAt(int position) {
    Objects.checkIndex(position, size);
    return names[position];
  }

  private String nameOf(E element) {
    if (nameOf == null) {
      throw new IllegalStateException("this index takes names with its elements");
    }
    return Objects.requireNonNull(nameOf.apply(element), "element name");
  }

  /**
   * Where {@code name} is: {@code -1 - position} when held, else the free table slot where it would
   * go.
   */
  private int probe(String name) {
    long[] t = table;
    int mask = t.length - 1;
    int h = hash(name);
    for (int s = h & mask; ; s = (s + 1) & mask) {
      long e = t[s];
      if (e == 0) {
        return s;
      }
      if ((int) (e >>> 32) == h) {
        int p = (int) e - 1;
        String n = names[p];
        if (n == name || n.equals(name)) {
          return -1 - p;
        }
      }
    }
  }

  /** Appends a new element whose name probed to the free {@code slot}; returns its position. */
  private int append(E element, String name, int slot) {
    int at = size;
    if (at == items.length) {
      items = Arrays.copyOf(items, at * 2);
      names = Arrays.copyOf(names, at * 2);
    }
    items[at] = element;
    names[at] = name;
    size = at + 1;
    if (size * 2 > table.length) {
      rehash(table.length * 2); // places the new one too
    } else {
      table[slot] = ((long) hash(name) << 32) | (at + 1);
    }
    return at;
  }

  private static void insert(long[] t, int h, int position) {
    int mask = t.length - 1;
    int s = h & mask;
    while (t[s] != 0) {
      s = (s + 1) & mask;
    }
    t[s] = ((long) h << 32) | (position + 1);
  }

  private void rehash(int length) {
    long[] t = new long[length];
    for (int i = 0; i < size; i++) {
      insert(t, hash(names[i]), i);
    }
    table = t;
  }

  /**
   * The name's hash, scrambled by a Fibonacci multiplier: names such as {@code t1, t2, ...} have
   * consecutive hash codes, which under linear probing would fill one long run of slots that every
   * miss scans.
   */
  private static int hash(String name) {
    int h = name.hashCode() * 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  @Override
  @SuppressWarnings("unchecked")
  public Iterator<E> iterator() {
    Object[] a = items;
    return ArrayIterator.over(size, 1, i -> (E) a[i]);
  }
}
