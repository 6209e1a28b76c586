package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.dir.DirFormat.Header;
import io.taskflow4j.persistence.dir.StoreLock.Stamp;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What one backend remembers of the atom records it last wrote or checked, so that an atom update
 * reads nothing back: not its record (the writer knows what it wrote), nor the links of its flow
 * and book (checked when the entry was made). Only touched with the store's write lock held.
 *
 * <p>An entry is trusted only while nothing else could have changed the record:
 *
 * <ul>
 *   <li>No other writer of taskflow4j (another process, or another backend of this one) has held
 *       the store's write lock since this backend last did: every hold of the lock writes a new
 *       {@link Stamp} into the lock file first, and a backend that finds another writer's stamp, or
 *       a generation it did not write, forgets everything ({@link #begin}).
 *   <li>The record's file is the one this backend last saw: same file (inode), size and
 *       modification time ({@link #get}). This catches TaskFlow, which knows nothing of the lock
 *       file and rewrites records in place (under the object lock, which every update takes before
 *       looking).
 * </ul>
 *
 * <p>Any write that removes objects or links, and any failed write, forgets everything: such a
 * write may have made a remembered atom unreachable, or left it other than remembered.
 */
final class AtomCache {
  /** Entries kept at most; the least recently used go first. */
  static final int MAX_ENTRIES = 16_384;

  private static final SecureRandom IDS = new SecureRandom();

  /**
   * A remembered record: its header (a marker's, when one lies over the metadata), the revision of
   * its metadata file, and the identity of that file when it was read or written. {@code
   * markerReady}: the atom's marker file exists and its name is durable (this backend made it with
   * the atom, {@code durability=power}), so a commit frame written there and synced survives a
   * power loss (see AtomMarker).
   */
  record Entry(
      Header header,
      long metadataRevision,
      Object fileKey,
      long size,
      FileTime modified,
      boolean markerReady) {
    boolean sameFile(BasicFileAttributes a) {
      return a.size() == size
          && Objects.equals(a.fileKey(), fileKey)
          && a.lastModifiedTime().equals(modified);
    }
  }

  private final long writerId = IDS.nextLong();
  private long generation = -1; // the stamp generation the entries are true for; -1: none
  private final Map<String, Entry> entries =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
          return size() > MAX_ENTRIES;
        }
      };

  /**
   * On taking the write lock: keeps the entries only if {@code found} (the stamp in the lock file)
   * is this backend's own last one, and returns the stamp to write before anything else.
   */
  Stamp begin(Stamp found) {
    if (found == null || found.writer() != writerId || found.generation() != generation) {
      entries.clear();
    }
    long next = (found == null ? 0 : found.generation()) + 1;
    return new Stamp(next, writerId);
  }

  /** After {@code stamp} (from {@link #begin}) was written: the entries are true for it. */
  void stamped(Stamp stamp) {
    generation = stamp.generation();
  }

  /** The entry of {@code uuid} when its file is still the one remembered ({@code current}). */
  Entry get(String uuid, BasicFileAttributes current) {
    Entry e = entries.get(uuid);
    if (e == null || current == null || !e.sameFile(current)) {
      return null;
    }
    return e;
  }

  /**
   * Remembers {@code header} as the record of {@code uuid}, whose metadata file (of revision {@code
   * metadataRevision}) has the attributes {@code file} now; {@code markerReady}: see {@link Entry}.
   */
  void put(
      String uuid,
      Header header,
      long metadataRevision,
      BasicFileAttributes file,
      boolean markerReady) {
    if (file == null || file.fileKey() == null) {
      entries.remove(uuid); // no way to tell this file from a later one
      return;
    }
    entries.put(
        uuid,
        new Entry(
            header,
            metadataRevision,
            file.fileKey(),
            file.size(),
            file.lastModifiedTime(),
            markerReady));
  }

  /** Forgets everything (objects removed, a write failed half-way). */
  void clear() {
    entries.clear();
  }

  int size() {
    return entries.size();
  }
}
