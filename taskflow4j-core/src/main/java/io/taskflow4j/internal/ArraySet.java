package io.taskflow4j.internal;

import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * An unmodifiable, insertion-ordered small set held in one array (linear lookup); larger sets fall
 * back to a {@code LinkedHashSet}. For the many tiny sets (an atom's arguments) a large flow keeps
 * alive.
 *
 * @param <E> element type
 */
public final class ArraySet<E> extends AbstractSet<E> {

  private static final int LINEAR_MAX = 8;

  private final Object[] items;

  private ArraySet(Object[] items) {
    this.items = items;
  }

  /** An unmodifiable ordered copy of {@code elements} without duplicates (non-null elements). */
  public static <E> Set<E> copyOf(Collection<? extends E> elements) {
    if (elements.isEmpty()) {
      return Set.of();
    }
    if (elements.size() > LINEAR_MAX) {
      return Collections.unmodifiableSet(new LinkedHashSet<>(elements));
    }
    Object[] items = new Object[elements.size()];
    int n = 0;
    outer:
    for (E e : elements) {
      if (e == null) {
        throw new NullPointerException("a set element must not be null");
      }
      for (int i = 0; i < n; i++) {
        if (items[i].equals(e)) {
          continue outer;
        }
      }
      items[n++] = e;
    }
    return new ArraySet<>(n == items.length ? items : Arrays.copyOf(items, n));
  }

  @Override
  public boolean contains(Object o) {
    for (Object item : items) {
      if (item.equals(o)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int size() {
    return items.length;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Iterator<E> iterator() {
    Object[] a = items;
    return ArrayIterator.over(a.length, 1, i -> (E) a[i]);
  }
}
