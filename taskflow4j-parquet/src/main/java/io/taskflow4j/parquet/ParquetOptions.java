package io.taskflow4j.parquet;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How {@link AtomParquetWriter} uses DuckDB while it writes. DuckDB's memory is native, outside the
 * Java heap; beyond {@code memoryLimit} it spills to a scratch folder in {@code tempDirectory},
 * which also holds the rows until the file is written and is removed afterwards.
 *
 * @param memoryLimit the most memory DuckDB may take, in DuckDB's notation ({@code "256MB"}, {@code
 *     "1GB"})
 * @param tempDirectory where the scratch folder goes
 * @param threads how many threads DuckDB may use to write the file
 */
public record ParquetOptions(String memoryLimit, Path tempDirectory, int threads) {
  /** DuckDB's memory limit unless told otherwise. */
  public static final String DEFAULT_MEMORY_LIMIT = "256MB";

  /** DuckDB's threads unless told otherwise: an export should not take every core. */
  public static final int DEFAULT_THREADS = 2;

  private static final Pattern SIZE =
      Pattern.compile("[0-9]+(\\.[0-9]+)?\\s*([KMGT]i?)?B", Pattern.CASE_INSENSITIVE);

  public ParquetOptions {
    Objects.requireNonNull(memoryLimit, "memoryLimit");
    Objects.requireNonNull(tempDirectory, "tempDirectory");
    if (!SIZE.matcher(memoryLimit.strip()).matches()) {
      throw new IllegalArgumentException(
          "memoryLimit '" + memoryLimit + "' is not a size such as 256MB or 1GB");
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads cannot be less than 1, got " + threads);
    }
  }

  /** 256MB, two threads, the scratch folder in {@code java.io.tmpdir}. */
  public static ParquetOptions defaults() {
    return new ParquetOptions(
        DEFAULT_MEMORY_LIMIT, Path.of(System.getProperty("java.io.tmpdir")), DEFAULT_THREADS);
  }

  /** These options with another memory limit. */
  public ParquetOptions withMemoryLimit(String limit) {
    return new ParquetOptions(limit, tempDirectory, threads);
  }

  /** These options with the scratch folder in {@code dir}. */
  public ParquetOptions withTempDirectory(Path dir) {
    return new ParquetOptions(memoryLimit, dir, threads);
  }

  /** These options with another number of threads. */
  public ParquetOptions withThreads(int count) {
    return new ParquetOptions(memoryLimit, tempDirectory, count);
  }
}
