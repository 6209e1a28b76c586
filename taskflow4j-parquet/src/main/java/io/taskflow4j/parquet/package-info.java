/**
 * Atom rows written as one Parquet file, for Spark, DuckDB, pandas and other analysis tools.
 *
 * <p>The rows are those of {@code taskflow4j export --format jsonl}: one per atom detail, with its
 * logbook's and flow's fields flattened in. {@link io.taskflow4j.parquet.AtomParquetWriter} takes
 * them one at a time, so a store of any size is written with bounded memory, and replaces its
 * target atomically once every row is in.
 *
 * <p>The file is written through DuckDB (its JDBC driver, whose native library is extracted to
 * {@code java.io.tmpdir} at first use): the Parquet library of the Apache project needs Hadoop.
 * Only this module depends on DuckDB; the core does not.
 */
package io.taskflow4j.parquet;
