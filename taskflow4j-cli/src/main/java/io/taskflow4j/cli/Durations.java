package io.taskflow4j.cli;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the ages and times the commands take: {@code 30d}, {@code 12h}, {@code 15m}, {@code 45s},
 * {@code 2w} (or an ISO-8601 duration such as {@code PT1H30M}), and for a point in time either such
 * an age (that long ago) or an ISO-8601 instant ({@code 2026-12-01T00:00:00Z}).
 */
final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d{1,9})\\s*([smhdw])");

  private Durations() {}

  /**
   * The duration {@code text} says.
   *
   * @throws CliException (usage) saying what is accepted
   */
  static Duration parse(String text, String option) {
    String t = text == null ? "" : text.trim();
    Matcher m = SHORT.matcher(t.toLowerCase(java.util.Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> Duration.ofDays(7 * n);
      };
    }
    try {
      Duration d = Duration.parse(t);
      if (!d.isNegative()) {
        return d;
      }
    } catch (DateTimeParseException e) {
      // not ISO either: said below
    }
    throw new CliException(
        ExitCodes.USAGE,
        option
            + " takes an age such as 30d, 12h, 15m, 45s or 2w (or ISO-8601 like PT1H30M), not '"
            + Main.oneLine(t)
            + "'");
  }

  /**
   * The instant {@code text} says: an age ({@code 7d}: seven days before {@code now}) or an
   * ISO-8601 instant.
   */
  static Instant since(String text, String option, Instant now) {
    String t = text == null ? "" : text.trim();
    if (!t.isEmpty() && Character.isDigit(t.charAt(0)) && t.contains("-")) {
      try {
        return Instant.parse(t);
      } catch (DateTimeException e) {
        throw new CliException(
            ExitCodes.USAGE,
            option
                + " takes an age such as 7d or an ISO-8601 instant such as 2026-12-01T00:00:00Z,"
                + " not '"
                + Main.oneLine(t)
                + "'");
      }
    }
    return now.minus(parse(t, option));
  }
}
