package io.taskflow4j.engine;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
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

  private final List<Consumer<? super E>> any = new CopyOnWriteArrayList<>();
  private final Map<S, List<Consumer<? super E>>> byState;
  private volatile int count;

  Notifier(Class<S> stateType) {
    byState = new EnumMap<>(stateType);
    for (S s : stateType.getEnumConstants()) {
      byState.put(s, new CopyOnWriteArrayList<>());
    }
  }

  /** Calls {@code listener} for every event. */
  public Registration registerAny(Consumer<? super E> listener) {
    Objects.requireNonNull(listener, "listener");
    any.add(listener);
    return track(any, listener);
  }

  /** Calls {@code listener} for events entering {@code state}. */
  public Registration register(S state, Consumer<? super E> listener) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(listener, "listener");
    List<Consumer<? super E>> list = byState.get(state);
    list.add(listener);
    return track(list, listener);
  }

  private synchronized Registration track(List<Consumer<? super E>> list, Consumer<? super E> l) {
    count++;
    boolean[] closed = new boolean[1];
    return () -> {
      synchronized (Notifier.this) {
        if (!closed[0] && list.remove(l)) {
          closed[0] = true;
          count--;
        }
      }
    };
  }

  /** Whether anyone listens at all (lets the engine skip building events). */
  boolean isEmpty() {
    return count == 0;
  }

  void emit(S state, E event) {
    if (count == 0) {
      return;
    }
    for (Consumer<? super E> l : any) {
      deliver(l, state, event);
    }
    for (Consumer<? super E> l : byState.get(state)) {
      deliver(l, state, event);
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
