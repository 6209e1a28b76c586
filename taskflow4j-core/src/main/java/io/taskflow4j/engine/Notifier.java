package io.taskflow4j.engine;

import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers state-change events to listeners: those registered for any state first, then those
 * registered for the specific state, each in registration order. A listener that throws is logged
 * and skipped; it never disturbs the run or the other listeners.
 *
 * <p>Atom events of a parallel engine are delivered from its worker threads (each atom's events in
 * order); listeners must be thread-safe. Thread-safe.
 *
 * @param <S> the state type ({@code FlowState} or {@code AtomState})
 * @param <E> the event type
 */
public final class Notifier<S extends Enum<S>, E> {
  private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

  /** A registration; closing it removes the listener. */
  @FunctionalInterface
  public interface Registration extends AutoCloseable {
    @Override
    void close();
  }

  private static final Consumer<?>[] NONE = new Consumer<?>[0];

  // Copied on every change (registrations are rare, events are not): an event reads one array
  // for the listeners of any state and one for its own state's, with no iterator and no map.
  private volatile Consumer<?>[] any = NONE;
  private volatile Consumer<?>[][] byState;
  private volatile int count;

  Notifier(Class<S> stateType) {
    Consumer<?>[][] b = new Consumer<?>[stateType.getEnumConstants().length][];
    java.util.Arrays.fill(b, NONE);
    byState = b;
  }

  /** Calls {@code listener} for every event. */
  public Registration registerAny(Consumer<? super E> listener) {
    Objects.requireNonNull(listener, "listener");
    return add(-1, listener);
  }

  /** Calls {@code listener} for events entering {@code state}. */
  public Registration register(S state, Consumer<? super E> listener) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(listener, "listener");
    return add(state.ordinal(), listener);
  }

  private synchronized Registration add(int state, Consumer<? super E> l) {
    Consumer<?>[] list = state < 0 ? any : byState[state];
    Consumer<?>[] grown = java.util.Arrays.copyOf(list, list.length + 1);
    grown[list.length] = l;
    set(state, grown);
    count++;
    boolean[] closed = new boolean[1];
    return () -> {
      synchronized (Notifier.this) {
        if (!closed[0] && remove(state, l)) {
          closed[0] = true;
          count--;
        }
      }
    };
  }

  /** Removes one registration of {@code l} (the first, as a list's remove does). */
  private boolean remove(int state, Consumer<?> l) {
    Consumer<?>[] list = state < 0 ? any : byState[state];
    for (int i = 0; i < list.length; i++) {
      if (list[i].equals(l)) {
        Consumer<?>[] shrunk = new Consumer<?>[list.length - 1];
        System.arraycopy(list, 0, shrunk, 0, i);
        System.arraycopy(list, i + 1, shrunk, i, list.length - i - 1);
        set(state, shrunk);
        return true;
      }
    }
    return false;
  }

  private void set(int state, Consumer<?>[] list) {
    if (state < 0) {
      any = list;
    } else {
      Consumer<?>[][] b = byState.clone();
      b[state] = list;
      byState = b;
    }
  }

  /** Whether anyone listens at all (lets the engine skip building events). */
  boolean isEmpty() {
    return count == 0;
  }

  /** Whether anyone listens to events entering {@code state} (else none need be built). */
  boolean listensTo(S state) {
    return count != 0 && (any.length != 0 || byState[state.ordinal()].length != 0);
  }

  @SuppressWarnings("unchecked")
  void emit(S state, E event) {
    if (isEmpty()) {
      return;
    }
    for (Consumer<?> l : any) {
      deliver((Consumer<? super E>) l, state, event);
    }
    for (Consumer<?> l : byState[state.ordinal()]) {
      deliver((Consumer<? super E>) l, state, event);
    }
  }

  private static <E> void deliver(Consumer<? super E> l, Object state, E event) {
    try {
      l.accept(event);
    } catch (RuntimeException e) {
      LOG.warn("A listener failed on {} event {}; ignoring it", state, event, e);
    }
  }
}
