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
    StringBuilder b = dateTime(instant, 0, 'T');
    if (b == null) {
      return instant.toString();
    }
    int nano = instant.getNano();
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

  /**
   * {@code instant} as SQLAlchemy writes a DateTime on SQLite: {@code 2026-01-02 03:04:05.123456},
   * UTC, the microseconds truncated, always six digits; {@code null} outside the years 1 to 9999,
   * which the caller formats otherwise.
   */
  public static String sqlAlchemy(Instant instant) {
    StringBuilder b = dateTime(instant, 1, ' ');
    if (b == null) {
      return null;
    }
    return pad(b.append('.'), instant.getNano() / 1_000, 6).toString();
  }

  /**
   * {@code yyyy-MM-dd<separator>HH:mm:ss} of {@code instant} in UTC, or {@code null} outside the
   * years {@code minYear} to 9999.
   */
  private static StringBuilder dateTime(Instant instant, int minYear, char separator) {
    long seconds = instant.getEpochSecond();
    LocalDate date = LocalDate.ofEpochDay(Math.floorDiv(seconds, 86_400L));
    int year = date.getYear();
    if (year < minYear || year > 9999) {
      return null;
    }
    int secOfDay = (int) Math.floorMod(seconds, 86_400L);
    StringBuilder b = new StringBuilder(30);
    pad(b, year, 4).append('-');
    pad(b, date.getMonthValue(), 2).append('-');
    pad(b, date.getDayOfMonth(), 2).append(separator);
    pad(b, secOfDay / 3600, 2).append(':');
    pad(b, secOfDay / 60 % 60, 2).append(':');
    return pad(b, secOfDay % 60, 2);
  }

  private static StringBuilder pad(StringBuilder b, int value, int width) {
    for (int digits = 1, limit = 10; digits < width; digits++, limit *= 10) {
      if (value < limit) {
        b.append('0');
      }
    }
    return b.append(value);
  }

  /**
   * The first {@code end} characters of {@code s} read as {@code yyyy-MM-dd[T ]HH:mm:ss[.f{1,9}]},
   * naive UTC, without a formatter: the shape every store and engine writes, read for every atom a
   * flow or a statistics pass loads. {@code null} for any other text or a field out of range
   * (February 30th, 24:00), which the caller then gives to a formatter.
   */
  public static Instant parseLocal(String s, int end) {
    if (end != 19 && (end < 21 || end > 29)) {
      return null;
    }
    char t = s.charAt(10);
    if (s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || (t != 'T' && t != ' ')
        || s.charAt(13) != ':'
        || s.charAt(16) != ':'
        || (end > 19 && s.charAt(19) != '.')) {
      return null;
    }
    int year = number(s, 0, 4);
    int month = number(s, 5, 2);
    int day = number(s, 8, 2);
    int hour = number(s, 11, 2);
    int minute = number(s, 14, 2);
    int second = number(s, 17, 2);
    int nano = 0;
    if (end > 19) {
      nano = number(s, 20, end - 20);
      for (int k = end - 20; k < 9 && nano >= 0; k++) {
        nano *= 10;
      }
    }
    if ((year | month | day | hour | minute | second | nano) < 0) {
      return null;
    }
    try {
      return java.time.LocalDateTime.of(year, month, day, hour, minute, second, nano)
          .toInstant(java.time.ZoneOffset.UTC);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** The decimal number of {@code len} ASCII digits at {@code at}, or -1 if one is no digit. */
  private static int number(String s, int at, int len) {
    int v = 0;
    for (int i = at; i < at + len; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
