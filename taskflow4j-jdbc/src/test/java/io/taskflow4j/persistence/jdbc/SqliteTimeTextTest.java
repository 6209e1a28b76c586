package io.taskflow4j.persistence.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.TaskFlowFormat;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A time bound for SQLite is the text SQLAlchemy writes, and reads back to the microsecond. */
class SqliteTimeTextTest {
  private static final DateTimeFormatter SQLALCHEMY =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

  private static String formatter(Instant t) {
    return SQLALCHEMY.format(LocalDateTime.ofInstant(t, ZoneOffset.UTC));
  }

  @Test
  void randomInstantsAreWrittenAsTheFormatterWritesThemAndReadBack() {
    Random r = new Random(11);
    for (int i = 0; i < 20_000; i++) {
      // years 1 to 9999, and now and then beyond on either side (the formatter's own text)
      long span = i % 50 == 0 ? 400_000_000_000L : 253_402_300_799L + 62_135_596_800L;
      long seconds = Math.floorMod(r.nextLong(), span) - 62_135_596_800L;
      Instant t = Instant.ofEpochSecond(seconds, r.nextInt(1_000_000_000));
      String text = Rows.sqliteTime(t);
      assertThat(text).as("%s", t).isEqualTo(formatter(t));
      if (t.isAfter(Instant.parse("0001-01-01T00:00:00Z"))
          && t.isBefore(Instant.parse("9999-12-31T23:59:59Z"))) {
        assertThat(TaskFlowFormat.unmarshalTime(text))
            .isEqualTo(Instant.ofEpochSecond(t.getEpochSecond(), t.getNano() / 1000 * 1000));
      }
    }
    for (String edge :
        new String[] {
          "0001-01-01T00:00:00Z",
          "9999-12-31T23:59:59.999999999Z",
          "1970-01-01T00:00:00Z",
          "1969-12-31T23:59:59.000001Z",
          "2024-02-29T12:00:00.5Z"
        }) {
      Instant t = Instant.parse(edge);
      assertThat(Rows.sqliteTime(t)).isEqualTo(formatter(t));
    }
  }
}
