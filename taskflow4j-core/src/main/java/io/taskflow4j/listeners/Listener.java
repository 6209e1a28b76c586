package io.taskflow4j.listeners;

import io.taskflow4j.engine.AtomEvent;
import io.taskflow4j.engine.Engine;
import io.taskflow4j.engine.FlowEvent;
import io.taskflow4j.engine.Notifier.Registration;
import java.util.Objects;

/**
 * Base of listeners that follow one engine: registers for every flow and atom event when
 * constructed and unregisters on {@link #close()}. Use in try-with-resources:
 *
 * <pre>{@code
 * try (var timing = new TimingListener(engine)) {
 *   engine.run();
 * }
 * }</pre>
 *
 * <p>Atom events of a parallel engine arrive on its worker threads: implementations must be
 * thread-safe. Exceptions they throw are logged and ignored by the engine.
 */
public abstract class Listener implements AutoCloseable {
  private final Engine engine;
  private final Registration flowRegistration;
  private final Registration atomRegistration;

  protected Listener(Engine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.flowRegistration = engine.notifier().registerAny(this::onFlowEvent);
    this.atomRegistration = engine.atomNotifier().registerAny(this::onAtomEvent);
  }

  /** The engine listened to. */
  protected final Engine engine() {
    return engine;
  }

  /** A flow state change (already recorded). The default does nothing. */
  protected void onFlowEvent(FlowEvent event) {}

  /** An atom state change (already recorded). The default does nothing. */
  protected void onAtomEvent(AtomEvent event) {}

  /** Stops listening. */
  @Override
  public void close() {
    flowRegistration.close();
    atomRegistration.close();
  }
}
