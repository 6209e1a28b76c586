/**
 * What happens to logbooks after their runs: an engine's {@link io.taskflow4j.retention.Retention}
 * (keep, or discard what succeeded) and the {@link io.taskflow4j.retention.Pruner}, which deletes
 * finished flows older than a cut-off from any store, in small batches, never an unfinished flow
 * nor one a job on a board still refers to.
 */
package io.taskflow4j.retention;
