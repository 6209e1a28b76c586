package io.taskflow4j.jobs;

import io.taskflow4j.persistence.IncompatibleVersionException;
import java.util.Locale;

/**
 * How urgent a job is; TaskFlow's five levels. Boards hand out jobs highest priority first, oldest
 * first within a priority (TaskFlow's ZooKeeper board does the reverse, and its Redis board is
 * newest first: both fixed here).
 *
 * <p>Boards store a level by its {@link #code()}, never by its position in this enum, so that
 * adding or reordering levels never changes what a stored job means. Codes run in claiming order:
 * the lower the code, the sooner a job is claimed (like a rank), so a store that sorts by code
 * ascending hands out jobs in the right order. Codes are 100 apart, leaving room for levels in
 * between.
 */
public enum JobPriority {
  VERY_HIGH(100),
  HIGH(200),
  NORMAL(300),
  LOW(400),
  VERY_LOW(500);

  private final int code;

  JobPriority(int code) {
    this.code = code;
  }

  /**
   * The code boards store for this level: stable across releases; a lower code is claimed first.
   */
  public int code() {
    return code;
  }

  /**
   * The level stored as {@code code}.
   *
   * @throws IncompatibleVersionException when no level has that code: the job was stored by a newer
   *     taskflow4j that knows more levels (or the store was changed by hand)
   */
  public static JobPriority ofCode(int code) {
    for (JobPriority p : values()) {
      if (p.code == code) {
        return p;
      }
    }
    StringBuilder known = new StringBuilder();
    for (JobPriority p : values()) {
      known.append(known.length() == 0 ? "" : ", ").append(p.code).append(' ').append(p.label());
    }
    throw new IncompatibleVersionException(
        "Unknown job priority code "
            + code
            + " (known: "
            + known
            + "): the job was stored by a newer taskflow4j, or its store was changed by hand;"
            + " upgrade taskflow4j");
  }

  private String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The level named {@code name} (any case, {@code -} or {@code _}), e.g. {@code very-high}. */
  public static JobPriority parse(String name) {
    String n = name == null ? "" : name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (JobPriority p : values()) {
      if (p.name().equals(n)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "Unknown job priority '" + name + "'; use one of very_high, high, normal, low, very_low");
  }
}
