package io.taskflow4j.jobs;

import java.util.Objects;

/**
 * The logbook a job works on, as a posting names it ({@code {"name", "uuid"}}, TaskFlow's shape).
 *
 * @param name the logbook's name
 * @param uuid the logbook's uuid
 */
public record BookRef(String name, String uuid) {
  /** Checks the fields. */
  public BookRef {
    Objects.requireNonNull(name, "book name");
    Objects.requireNonNull(uuid, "book uuid");
  }
}
