package io.taskflow4j.persistence.dir;

import static io.taskflow4j.persistence.dir.DirFiles.readIfExists;
import static io.taskflow4j.persistence.dir.DirFiles.readIfNonEmpty;
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
 * <p>With {@code durability=power} the same file carries an atom's <em>committed</em> records too:
 * a result, failure or any other state that must survive a power loss is written into the marker
 * file first, framed as {@code tf4j-commit 1 <base> <length> <crc32c>}, and synced (one overwrite
 * of an existing file: one flush of the disk's cache), then written over the metadata in place,
 * unsynced, and synced later ({@link MetadataSyncer}). Until that later sync the commit frame is
 * the record's only durable copy, so nothing overwrites it first (see DirWriter). After a power
 * loss a commit frame counts:
 *
 * <ul>
 *   <li>as a marker does, when the metadata is still at its base (the write over it was lost);
 *   <li>and also when the metadata is damaged (the write over it was torn) and begins with the seal
 *       of the frame's base or of its record: the two revisions that torn write could have left. A
 *       damaged metadata file that begins with any other revision, or none, is reported damaged.
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

  private static final String COMMIT_MAGIC = "tf4j-commit 1 ";

  private AtomMarker() {}

  /** The bytes of a marker holding {@code record} over metadata of revision {@code base}. */
  static byte[] encode(long base, byte[] record) {
    return frame(MAGIC, base, record);
  }

  /**
   * The bytes of a commit frame holding {@code record} (a committed state, synced before it is
   * written over the metadata) over metadata of revision {@code base}.
   */
  static byte[] encodeCommit(long base, byte[] record) {
    return frame(COMMIT_MAGIC, base, record);
  }

  private static byte[] frame(String magic, long base, byte[] record) {
    CRC32C crc = new CRC32C();
    crc.update(record);
    byte[] head =
        (magic + base + " " + record.length + " " + Long.toHexString(crc.getValue()) + "\n")
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
   * {@code committed}: the record is a commit frame's, over metadata that does not hold it yet (its
   * write over the metadata was lost or torn); {@code commitFramed}: the marker file holds a whole
   * commit frame, whether it counts or not.
   */
  record AtomRecord(
      Path file,
      byte[] raw,
      Header header,
      long metadataRevision,
      boolean committed,
      boolean commitFramed) {
    AtomRecord(Path file, byte[] raw, Header header, long metadataRevision) {
      this(file, raw, header, metadataRevision, false, false);
    }

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
        // A record rewritten in place may have been read half-written: a read again finds it
        // whole. One still damaged after a few reads is damaged, unless a commit frame holds the
        // write that tore it.
        byte[] again = attempt < REREADS ? reread(file) : null;
        if (again == null || Arrays.equals(again, raw)) {
          AtomRecord rescued = overTorn(atomDir, raw);
          return rescued != null ? rescued : new AtomRecord(file, raw, null, -1);
        }
        raw = again;
      }
    }
    AtomRecord metadata = new AtomRecord(file, raw, h, h.revision());
    Path markerFile = atomDir.resolve(MARKER);
    Frame f = readFrame(markerFile);
    if (f == null) {
      return metadata;
    }
    if (f.base() != h.revision()) {
      return f.committed() ? withCommitFramed(metadata) : metadata;
    }
    Header mh = frameHeader(markerFile, f);
    if (mh == null || mh.revision() <= h.revision()) {
      return f.committed() ? withCommitFramed(metadata) : metadata;
    }
    return new AtomRecord(markerFile, f.record(), mh, h.revision(), f.committed(), f.committed());
  }

  private static AtomRecord withCommitFramed(AtomRecord r) {
    return new AtomRecord(r.file(), r.raw(), r.header(), r.metadataRevision(), false, true);
  }

  /**
   * The record of a commit frame over damaged metadata ({@code raw}) that its write over the
   * metadata could have left: the metadata begins with the seal of the frame's base or of its
   * record (see the class comment); otherwise {@code null}. The metadata's revision is reported as
   * the frame's base.
   */
  private static AtomRecord overTorn(Path atomDir, byte[] raw) {
    long seal = leadingSeal(raw);
    if (seal < 0) {
      return null;
    }
    Path markerFile = atomDir.resolve(MARKER);
    Frame f = readFrame(markerFile);
    if (f == null || !f.committed()) {
      return null;
    }
    Header mh = frameHeader(markerFile, f);
    if (mh == null || mh.revision() <= f.base() || (seal != f.base() && seal != mh.revision())) {
      return null;
    }
    return new AtomRecord(markerFile, f.record(), mh, f.base(), true, true);
  }

  /** The whole frame in an atom's marker file, or {@code null} (none, empty, torn, unreadable). */
  private static Frame readFrame(Path markerFile) {
    byte[] marker;
    try {
      marker = readIfNonEmpty(markerFile); // absent or empty unless the atom ran: DirFiles#exists
    } catch (StorageException e) {
      return null; // unreadable: as if torn
    }
    return marker == null ? null : frame(marker);
  }

  private static Header frameHeader(Path markerFile, Frame f) {
    try {
      return header(markerFile, f.record());
    } catch (StorageException e) {
      return null;
    }
  }

  /**
   * The revision a record's bytes begin with ({@code {"tf4j_seal":<n>}), or -1 when they do not
   * begin with a seal: what survives of a sealed record whose end was torn.
   */
  static long leadingSeal(byte[] raw) {
    byte[] key = ("\"" + DirStore.K_SEAL + "\"").getBytes(StandardCharsets.US_ASCII);
    int i = skipSpaces(raw, 0);
    if (i >= raw.length || raw[i] != '{') {
      return -1;
    }
    i = skipSpaces(raw, i + 1);
    if (raw.length - i < key.length || !Arrays.equals(raw, i, i + key.length, key, 0, key.length)) {
      return -1;
    }
    i = skipSpaces(raw, i + key.length);
    if (i >= raw.length || raw[i] != ':') {
      return -1;
    }
    i = skipSpaces(raw, i + 1);
    long n = 0;
    int digits = 0;
    for (; i < raw.length && raw[i] >= '0' && raw[i] <= '9' && digits < 18; i++, digits++) {
      n = n * 10 + (raw[i] - '0');
    }
    return digits == 0 ? -1 : n;
  }

  private static int skipSpaces(byte[] raw, int i) {
    while (i < raw.length
        && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t')) {
      i++;
    }
    return i;
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
    Frame f = frame(marker);
    return f == null || f.base() != base ? null : f.record();
  }

  /**
   * A whole frame: a marker's or a commit's ({@code committed}), the revision of the metadata it
   * lies over and its record.
   */
  record Frame(boolean committed, long base, byte[] record) {}

  /**
   * The frame a marker file holds, when its header is whole and its record matches its checksum.
   */
  static Frame frame(byte[] marker) {
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
    boolean committed = head.startsWith(COMMIT_MAGIC);
    if (!committed && !head.startsWith(MAGIC)) {
      return null;
    }
    // (Both magics have the same length.)
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
    if (length < 0 || length > marker.length - nl - 1) {
      return null;
    }
    CRC32C crc = new CRC32C();
    crc.update(marker, nl + 1, length);
    if (crc.getValue() != checksum) {
      return null;
    }
    return new Frame(committed, markerBase, Arrays.copyOfRange(marker, nl + 1, nl + 1 + length));
  }
}
