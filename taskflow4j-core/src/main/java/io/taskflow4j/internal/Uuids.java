package io.taskflow4j.internal;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * Random (version 4) UUID strings, as {@link UUID#randomUUID()} makes them and from the same kind
 * of strong generator, but read from it in blocks. Each call of a {@link SecureRandom} has a fixed
 * cost well above that of 16 bytes (here, with the native generator, about a microsecond: as much
 * as an engine spends on a whole task), and a flow of 100,000 atoms draws 100,000 uuids before it
 * starts. Thread-safe.
 */
public final class Uuids {
  private static final int BLOCK = 16 * 256;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final byte[] BUFFER = new byte[BLOCK];
  private static int used = BLOCK;

  private Uuids() {}

  /** A new random UUID string ({@code xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx}). */
  public static String random() {
    long msb;
    long lsb;
    synchronized (BUFFER) {
      if (used == BLOCK) {
        RANDOM.nextBytes(BUFFER);
        used = 0;
      }
      msb = longAt(BUFFER, used);
      lsb = longAt(BUFFER, used + 8);
      used += 16;
    }
    msb = (msb & ~0xF000L) | 0x4000L; // version 4
    lsb = (lsb & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
    return new UUID(msb, lsb).toString();
  }

  private static long longAt(byte[] b, int at) {
    long v = 0;
    for (int i = at; i < at + 8; i++) {
      v = (v << 8) | (b[i] & 0xFF);
    }
    return v;
  }
}
