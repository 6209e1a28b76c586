package io.taskflow4j.jobs;

import java.util.Locale;

/**
 * How urgent a job is; TaskFlow's five levels. Boards hand out jobs highest priority first, oldest
 * first within a priority (TaskFlow's ZooKeeper board does the reverse, and its Redis board is
 * newest first: both fixed here).
 */
public enum JobPriority {
  VERY_HIGH,
  HIGH,
  NORMAL,
  LOW,
  VERY_LOW;

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
