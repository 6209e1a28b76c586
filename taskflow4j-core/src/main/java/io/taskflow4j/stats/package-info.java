/**
 * Statistics of what a store recorded: per atom name, how often it ran, succeeded, failed and was
 * retried and how long it took (percentiles); failures by exception type and day; the slowest
 * flows. {@link io.taskflow4j.stats.StatsCollector#collect} computes a {@link
 * io.taskflow4j.stats.StoreStats} over a {@link io.taskflow4j.persistence.Connection}, reading the
 * store a part at a time.
 */
package io.taskflow4j.stats;
