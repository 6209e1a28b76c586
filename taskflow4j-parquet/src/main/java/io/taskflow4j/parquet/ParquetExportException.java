package io.taskflow4j.parquet;

import io.taskflow4j.persistence.TaskFlowException;

/**
 * A Parquet file could not be written: the message says which file and why, in one line (DuckDB's
 * own error is kept as the cause). The target is left as it was.
 */
public final class ParquetExportException extends TaskFlowException {
  private static final long serialVersionUID = 1L;

  ParquetExportException(String message, Throwable cause) {
    super(message, cause);
  }
}
