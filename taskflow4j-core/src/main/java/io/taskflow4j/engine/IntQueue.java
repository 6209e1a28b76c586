package io.taskflow4j.engine;

/** A FIFO ring buffer of ints (the scheduler's candidate queue). Not thread-safe. */
final class IntQueue {
  private int[] data = new int[16];
  private int head;
  private int size;

  void add(int v) {
    if (size == data.length) {
      int[] bigger = new int[data.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = data[(head + i) % data.length];
      }
      data = bigger;
      head = 0;
    }
    data[(head + size) % data.length] = v;
    size++;
  }

  int poll() {
    int v = data[head];
    head = (head + 1) % data.length;
    size--;
    return v;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  void clear() {
    head = 0;
    size = 0;
  }
}
