package io.taskflow4j.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a length of time given on the command line: a number and a unit, {@code 30s}, {@code 30m},
 * {@code 12h}, {@code 7d}, {@code 2w}, or several of them ({@code 1d12h}); ISO-8601 ({@code PT12H})
 * too. Used as an option's converter: {@code @Option(converter = DurationConverter.class)}.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("(\\d{1,9})([smhdw])");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * The duration {@code text} says; always positive.
   *
   * @throws TypeConversionException saying which forms are understood
   */
  static Duration parse(String text) {
    String s = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT);
    Duration d = null;
    if (s.startsWith("p")) {
      try {
        d = Duration.parse(s.toUpperCase(java.util.Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw invalid(text);
      }
    } else if (!s.isEmpty()) {
      Matcher m = PART.matcher(s);
      d = Duration.ZERO;
      int at = 0;
      while (at < s.length()) {
        if (!m.find(at) || m.start() != at) {
          throw invalid(text);
        }
        long n = Long.parseLong(m.group(1));
        d =
            d.plus(
                switch (m.group(2)) {
                  case "s" -> Duration.ofSeconds(n);
                  case "m" -> Duration.ofMinutes(n);
                  case "h" -> Duration.ofHours(n);
                  case "d" -> Duration.ofDays(n);
                  default -> Duration.ofDays(7 * n);
                });
        at = m.end();
      }
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw invalid(text);
    }
    return d;
  }

  private static TypeConversionException invalid(String text) {
    return new TypeConversionException(
        "'"
            + text
            + "' is not a length of time: give a number and a unit (s, m, h, d, w) such as 30m,"
            + " 12h, 7d or 1d12h, or ISO-8601 such as PT12H");
  }

  /**
   * The instant {@code text} says: an age ({@code 7d}: that long before {@code now}) or an ISO-8601
   * instant ({@code 2026-12-01T00:00:00Z}).
   *
   * @throws CliException (usage) naming {@code option} and the forms understood
   */
  static java.time.Instant since(String text, String option, java.time.Instant now) {
    String t = text == null ? "" : text.strip();
    try {
      if (t.length() > 10 && Character.isDigit(t.charAt(0)) && t.charAt(4) == '-') {
        return java.time.Instant.parse(t);
      }
      return now.minus(parse(t));
    } catch (TypeConversionException | java.time.DateTimeException e) {
      throw new CliException(
          ExitCodes.USAGE,
          option
              + " takes an age such as 7d, 12h or 1d12h, or an ISO-8601 instant such as"
              + " 2026-12-01T00:00:00Z, not '"
              + Main.oneLine(t)
              + "'");
    }
  }
}
