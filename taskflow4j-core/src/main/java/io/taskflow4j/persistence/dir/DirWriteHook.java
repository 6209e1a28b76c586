package io.taskflow4j.persistence.dir;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Observes every step of a {@link DirBackend} write, after the step is done. A testing and
 * instrumentation seam: a hook that throws stops the write right there, which is how crash tests
 * cut a save at each step; a hook that counts {@link Step#FILE_SYNCED} and {@link Step#DIR_SYNCED}
 * measures what a write costs in fsyncs.
 *
 * <p>Installed per backend with {@link DirBackend.Builder#writeHook}; never global. It is called
 * with the store's write lock held, from the writing thread, so it must be quick.
 */
@FunctionalInterface
public interface DirWriteHook {

  /** The steps of a write, in the order a single-object update goes through them. */
  enum Step {
    /** A new file was written in full (a temporary file, or the metadata of a staged object). */
    TEMP_WRITTEN,
    /** A file was fsynced (only with {@code durability=power}). */
    FILE_SYNCED,
    /** A symbolic link was created (under a temporary name, or inside a staged object). */
    LINK_CREATED,
    /** A directory was fsynced so the names it holds survive a power loss. */
    DIR_SYNCED,
    /** A file, link or staged directory was atomically renamed into place. */
    RENAMED,
    /** An object directory was atomically moved out of the store, to be deleted. */
    REMOVED,
    /** A removed directory tree was deleted from disk. */
    DELETED,
    /**
     * An atom's RUNNING or REVERTING marker was written in place (never synced; a marker cut here
     * is ignored by readers), or, with {@code durability=power}, a commit frame was, before its
     * sync ({@link #FILE_SYNCED} follows).
     */
    MARKER_WRITTEN,
    /**
     * An atom's record was rewritten over itself, whole, in one write of at most one page (with
     * {@code durability=process}; with {@code power}, after its commit frame was synced. A cut
     * before it leaves the record as it was, or as its synced commit frame holds it).
     */
    RECORD_REWRITTEN
  }

  /** The hook that does nothing. */
  DirWriteHook NONE = (step, path) -> {};

  /**
   * Called after {@code step} was done on {@code path}.
   *
   * @throws IOException to make the write fail as if the file system had failed there (the backend
   *     reports it as a {@link io.taskflow4j.persistence.StorageException})
   */
  void after(Step step, Path path) throws IOException;
}
