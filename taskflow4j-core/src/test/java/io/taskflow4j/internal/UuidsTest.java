package io.taskflow4j.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class UuidsTest {

  @Test
  void makesDistinctVersionFourUuidsAcrossBlocks() {
    Set<String> seen = new HashSet<>();
    int n = 3 * 256 + 7; // more than two blocks of the buffer
    for (int i = 0; i < n; i++) {
      String text = Uuids.random();
      UUID parsed = UUID.fromString(text);
      assertThat(parsed.toString()).isEqualTo(text);
      assertThat(parsed.version()).isEqualTo(4);
      assertThat(parsed.variant()).isEqualTo(2); // IETF
      seen.add(text);
    }
    assertThat(seen).hasSize(n);
  }

  @Test
  void usesEveryRandomBitOutsideVersionAndVariant() {
    // Over many uuids each free bit must take both values: a bit stuck at 0 or 1 would show.
    long msbOr = 0;
    long msbAnd = -1;
    long lsbOr = 0;
    long lsbAnd = -1;
    for (int i = 0; i < 2_000; i++) {
      UUID u = UUID.fromString(Uuids.random());
      msbOr |= u.getMostSignificantBits();
      msbAnd &= u.getMostSignificantBits();
      lsbOr |= u.getLeastSignificantBits();
      lsbAnd &= u.getLeastSignificantBits();
    }
    assertThat(msbOr).isEqualTo(~0xB000L); // every bit but the version's zeros
    assertThat(msbAnd).isEqualTo(0x4000L); // only the version's one
    assertThat(lsbOr).isEqualTo(0xBFFFFFFFFFFFFFFFL);
    assertThat(lsbAnd).isEqualTo(0x8000000000000000L);
  }
}
