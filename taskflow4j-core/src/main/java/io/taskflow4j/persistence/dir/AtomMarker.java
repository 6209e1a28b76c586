package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.readIfExists;
import static io.taskflow4j.persistence.dir.DirFiles.readOrNull;
import static io.taskflow4j.persistence.dir.DirFormat.header;
import static io.taskflow4j.persistence.dir.DirStore.METADATA;

import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.dir.DirFormat.Header;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * An atom's RUNNING or REVERTING marker: {@code atom_details/<atom>/marker}, a record laid over the
 * atom's {@code metadata} without replacing it. A marker needs no durability (the task in flight
 * runs again after a crash, and resumption treats a lost marker as the state it replaced), so it is
 * written the cheapest way there is: in place, never synced, never renamed. What makes that safe is
 * how it is read:
 *
 * <ul>
 *   <li>It holds the full atom record (the JSON of a {@code metadata} file, one revision on),
 *       framed by a first line {@code tf4j-marker 1 <base> <length> <crc32c>}: the revision of the
 *       metadata it lies over, the length of the record and its checksum. Bytes after the record
 *       are left from a longer earlier marker and ignored.
 *   <li>It counts only when its frame and checksum are whole and its base is the revision of the
 *       metadata file as it is now. A marker cut by a crash, torn by a power loss (empty, zeroed,
 *       partly old), or read half-written is ignored; so is one the atom's next write has passed
 *       (every other write replaces {@code metadata}, whose new revision is no marker's base).
 *       Ignoring it yields the metadata: the durable state the marker replaced.
 * </ul>
 *
 * <p>TaskFlow never reads it (it reads only {@code metadata}, and takes only symbolic links for
 * children): to TaskFlow a running task shows the state it had before it started, and every
 * finished state as it was written.
 */
final class AtomMarker {
  /** The marker's file name in an atom's directory. */
  static final String MARKER = "marker";

  private static final String MAGIC = "tf4j-marker 1 ";

  private AtomMarker() {}

  /** The bytes of a marker holding {@code record} over metadata of revision {@code base}. */
  static byte[] encode(long base, byte[] record) {
    CRC32C crc = new CRC32C();
    crc.update(record);
    byte[] head =
        (MAGIC + base + " " + record.length + " " + Long.toHexString(crc.getValue()) + "\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] out = Arrays.copyOf(head, head.length + record.length);
    System.arraycopy(record, 0, out, head.length, record.length);
    return out;
  }

  /**
   * An atom's record as readers see it: {@code file} and {@code raw} hold it (the marker's, when
   * one counts), {@code header} is read from it, {@code metadataRevision} is the revision of the
   * metadata file (the base of a marker written now). A damaged metadata file gives its own bytes
   * with a {@code null} header and revision -1: each caller reports the damage as it always did.
   */
  record AtomRecord(Path file, byte[] raw, Header header, long metadataRevision) {
    /** The header, or the damage of the metadata file reported as every reader reports it. */
    Header checkedHeader() {
      return header != null ? header : DirFormat.header(file, raw);
    }
  }

  /**
   * Reads an atom's record: its metadata, or the marker over it when one counts; {@code null} when
   * the atom has no metadata file. A damaged marker is ignored; a damaged metadata file is returned
   * as it is, without a header (no marker counts over it).
   *
   * @throws StorageException when the metadata file cannot be read
   */
  static AtomRecord read(Path atomDir) {
    return read(atomDir, false);
  }

  /**
   * {@link #read}, for an atom that is likely new: its record looked for first (see
   * DirFiles#exists).
   */
  static AtomRecord readLikelyNew(Path atomDir) {
    return read(atomDir, true);
  }

  private static AtomRecord read(Path atomDir, boolean likelyMissing) {
    Path file = atomDir.resolve(METADATA);
    byte[] raw = likelyMissing ? readIfExists(file) : readOrNull(file);
    if (raw == null) {
      return null;
    }
    Header h = null;
    for (int attempt = 0; h == null; attempt++) {
      try {
        h = header(file, raw);
      } catch (StorageException damaged) {
        // A record rewritten in place (durability=process) may have been read half-written: a
        // read again finds it whole. One still damaged after a few reads is damaged.
        byte[] again = attempt < REREADS ? reread(file) : null;
        if (again == null || Arrays.equals(again, raw)) {
          return new AtomRecord(file, raw, null, -1);
        }
        raw = again;
      }
    }
    AtomRecord metadata = new AtomRecord(file, raw, h, h.revision());
    Path markerFile = atomDir.resolve(MARKER);
    byte[] marker;
    try {
      marker = readIfExists(markerFile); // rarely there: see DirFiles#exists
    } catch (StorageException e) {
      return metadata; // unreadable: as if torn
    }
    byte[] record = marker == null ? null : recordOver(marker, h.revision());
    if (record == null) {
      return metadata;
    }
    Header mh;
    try {
      mh = header(markerFile, record);
    } catch (StorageException e) {
      return metadata;
    }
    if (mh.revision() <= h.revision()) {
      return metadata;
    }
    return new AtomRecord(markerFile, record, mh, h.revision());
  }

  /** How many times a damaged record is read again before it counts as damaged. */
  private static final int REREADS = 3;

  /** {@code file} read again after a short pause, or {@code null} when it is gone. */
  private static byte[] reread(Path file) {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    return readOrNull(file);
  }

  /** The record a marker holds, when its frame is whole and it lies over {@code base}. */
  static byte[] recordOver(byte[] marker, long base) {
    int nl = -1;
    for (int i = 0; i < Math.min(marker.length, 128); i++) {
      if (marker[i] == '\n') {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      return null;
    }
    String head = new String(marker, 0, nl, StandardCharsets.US_ASCII);
    if (!head.startsWith(MAGIC)) {
      return null;
    }
    String[] f = head.substring(MAGIC.length()).split(" ");
    if (f.length != 3) {
      return null;
    }
    long markerBase;
    int length;
    long checksum;
    try {
      markerBase = Long.parseLong(f[0]);
      length = Integer.parseInt(f[1]);
      checksum = Long.parseLong(f[2], 16);
    } catch (NumberFormatException e) {
      return null;
    }
    if (markerBase != base || length < 0 || length > marker.length - nl - 1) {
      return null;
    }
    CRC32C crc = new CRC32C();
    crc.update(marker, nl + 1, length);
    if (crc.getValue() != checksum) {
      return null;
    }
    return Arrays.copyOfRange(marker, nl + 1, nl + 1 + length);
  }
}
