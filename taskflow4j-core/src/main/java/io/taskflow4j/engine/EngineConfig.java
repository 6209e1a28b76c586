package io.taskflow4j.engine;

import io.taskflow4j.flow.Flow;
import io.taskflow4j.storage.Storage;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * What an engine was built with, taken from its {@link Engines.Builder} at {@code build()}: the
 * builder stays the caller's and may go on to build other engines, so a built engine never reads it
 * again.
 *
 * @param flow the flow to run (a single atom is wrapped in a linear flow)
 * @param factory how to rebuild the flow in another process; null when not recorded
 * @param storage opens the engine's storage; called once, when the engine first needs it
 * @param store values injected persistently (unmodifiable)
 * @param transientStore values injected for this engine only (unmodifiable)
 * @param executor a parallel engine's executor; null: a pool of {@code maxWorkers} per run
 * @param retention what happens to the flow's record after a finished run
 */
record EngineConfig(
    Flow flow,
    Map<String, Object> factory,
    Supplier<Storage> storage,
    Map<String, Object> store,
    Map<String, Object> transientStore,
    Executor executor,
    TaskRunner taskRunner,
    boolean parallel,
    int maxWorkers,
    boolean deferReverts,
    boolean neverResolve,
    boolean injectTransient,
    Clock clock,
    io.taskflow4j.retention.Retention retention) {}
