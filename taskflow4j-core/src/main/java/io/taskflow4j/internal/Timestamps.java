package io.taskflow4j.internal;

import java.time.Instant;
import java.time.LocalDate;

/**
 * Formats instants exactly as {@link Instant#toString()} does (ISO-8601 in UTC, fraction digits in
 * groups of three, none for a whole second) without a {@code DateTimeFormatter}: engines stamp two
 * times per task, and the formatter's cost showed in the per-task overhead.
 */
public final class Timestamps {

  private Timestamps() {}

  /** {@code instant.toString()}, faster for years 0 to 9999 (others fall back to it). */
  public static String iso(Instant instant) {
    long seconds = instant.getEpochSecond();
    long day = Math.floorDiv(seconds, 86_400L);
    int secOfDay = (int) Math.floorMod(seconds, 86_400L);
    LocalDate date = LocalDate.ofEpochDay(day);
    int year = date.getYear();
    if (year < 0 || year > 9999) {
      return instant.toString();
    }
    int nano = instant.getNano();
    StringBuilder b = new StringBuilder(30);
    pad(b, year, 4).append('-');
    pad(b, date.getMonthValue(), 2).append('-');
    pad(b, date.getDayOfMonth(), 2).append('T');
    pad(b, secOfDay / 3600, 2).append(':');
    pad(b, secOfDay / 60 % 60, 2).append(':');
    pad(b, secOfDay % 60, 2);
    if (nano != 0) {
      b.append('.');
      if (nano % 1_000_000 == 0) {
        pad(b, nano / 1_000_000, 3);
      } else if (nano % 1_000 == 0) {
        pad(b, nano / 1_000, 6);
      } else {
        pad(b, nano, 9);
      }
    }
    return b.append('Z').toString();
  }

  private static StringBuilder pad(StringBuilder b, int value, int width) {
    for (int digits = 1, limit = 10; digits < width; digits++, limit *= 10) {
      if (value < limit) {
        b.append('0');
      }
    }
    return b.append(value);
  }
}
