package io.taskflow4j.micrometer;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import java.util.Objects;

/**
 * A {@link Backend} whose connections time every store write: {@value StoreMeters#WRITES}, a timer
 * with percentile histograms, tagged by backend, operation and outcome ({@code success}, {@code
 * conflict}, {@code fenced}, {@code not_found}, {@code error}). The engine checkpoints through
 * these writes, so the timer is the checkpoint latency; conflicts (another writer moved a record
 * on) and fenced writes (a claim lost to a peer) are its {@code outcome=conflict} and {@code
 * outcome=fenced} counts. Fenced views ({@link Connection#fenced}) of its connections are timed
 * too, so a conductor given a metered backend times its jobs' writes.
 *
 * <pre>{@code
 * Backend backend = MeteredBackend.wrap(Backends.fetch("sqlite:///var/lib/app/flows.db"), registry);
 * }</pre>
 *
 * <p>Reads are not timed. Closing the metered backend closes the backend it wraps.
 */
public final class MeteredBackend implements Backend {
  private final Backend delegate;
  private final StoreMeters meters;

  private MeteredBackend(Backend delegate, StoreMeters meters) {
    this.delegate = delegate;
    this.meters = meters;
  }

  /** Wraps {@code backend}; its writes are timed into {@code registry}. */
  public static Backend wrap(Backend backend, MeterRegistry registry) {
    return wrap(backend, registry, Tags.empty());
  }

  /**
   * Wraps {@code backend}; its writes are timed into {@code registry} with {@code tags} besides
   * their own (to tell two stores of the same kind apart, say).
   */
  public static Backend wrap(Backend backend, MeterRegistry registry, Iterable<Tag> tags) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(tags, "tags");
    Tags t = Tags.of(tags).and("backend", backend.conf().backendName());
    return new MeteredBackend(backend, new StoreMeters(registry, t));
  }

  /**
   * Wraps one connection (one that was not made by a metered backend, e.g. given to an engine with
   * {@code Engines.Builder.connection}).
   */
  public static Connection wrap(Connection connection, MeterRegistry registry) {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(registry, "registry");
    Tags t = Tags.of("backend", connection.backend().conf().backendName());
    return new MeteredConnection(connection, new StoreMeters(registry, t));
  }

  /** The backend wrapped. */
  public Backend unwrap() {
    return delegate;
  }

  @Override
  public BackendConf conf() {
    return delegate.conf();
  }

  @Override
  public Connection getConnection() {
    return new MeteredConnection(delegate.getConnection(), meters);
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "Metered[" + delegate + "]";
  }
}
