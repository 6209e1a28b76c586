package io.taskflow4j.internal;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.IntFunction;

/**
 * An iterator over the positions {@code 0, step, 2·step, ...} below {@code end} of an array-backed
 * structure, each turned into an element by {@code at}: the compact maps, sets and indexes here
 * hold their contents in arrays (alternating keys and values, or one element per slot).
 * Unmodifiable: {@code remove} is refused.
 *
 * @param <T> the element type
 */
public final class ArrayIterator<T> implements Iterator<T> {
  private final int end;
  private final int step;
  private final IntFunction<? extends T> at;
  private int i;

  private ArrayIterator(int end, int step, IntFunction<? extends T> at) {
    this.end = end;
    this.step = step;
    this.at = at;
  }

  /**
   * @param end the position past the last one
   * @param step the distance between positions (2 for alternating keys and values)
   * @param at the element at a position
   */
  public static <T> Iterator<T> over(int end, int step, IntFunction<? extends T> at) {
    return new ArrayIterator<>(end, step, at);
  }

  @Override
  public boolean hasNext() {
    return i < end;
  }

  @Override
  public T next() {
    if (i >= end) {
      throw new NoSuchElementException();
    }
    T t = at.apply(i);
    i += step;
    return t;
  }
}
