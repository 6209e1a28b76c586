package io.taskflow4j.engine;

import java.util.Arrays;

/** A growable list of ints without boxing (the compiler and scheduler handle 100k+ nodes). */
final class IntList {
  private int[] data;
  private int size;

  IntList() {
    this(8);
  }

  IntList(int capacity) {
    data = new int[Math.max(1, capacity)];
  }

  void add(int v) {
    if (size == data.length) {
      data = Arrays.copyOf(data, size * 2);
    }
    data[size++] = v;
  }

  int get(int i) {
    return data[i];
  }

  void set(int i, int v) {
    data[i] = v;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int removeLast() {
    return data[--size];
  }

  void clear() {
    size = 0;
  }

  int[] toArray() {
    return Arrays.copyOf(data, size);
  }
}
