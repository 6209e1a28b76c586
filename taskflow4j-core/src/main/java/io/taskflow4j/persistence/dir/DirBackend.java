package io.taskflow4j.persistence.dir;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.InvalidConfigurationException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Keeps logbooks in a directory, in OpenStack TaskFlow's layout: TaskFlow can read a store this
 * backend wrote and the other way round. Connection strings: {@code dir:///var/lib/app/flows},
 * {@code file:///var/lib/app/flows}, or a map {@code {connection: dir, path: /var/lib/app/flows}}
 * (an explicit {@code path} wins over the URI's).
 *
 * <p>Unlike TaskFlow's, every write is crash-safe (written to a temporary file and atomically
 * renamed; new objects appear complete or not at all; a save never leaves a link to a missing
 * object), durable when it returns (with the default {@code durability=power}: an atom's result
 * costs two fsyncs, its file and its directory; its RUNNING or REVERTING marker none, as it need
 * not survive a crash: it is laid over the record in place and ignored unless whole, see {@code
 * AtomMarker}), checked against revisions under a lock shared with other processes ({@code
 * <path>/.lock}) and under TaskFlow's own per-object lock files ({@code <object>/lock}) where
 * TaskFlow made them, and reads never create anything. A backend remembers what it last wrote of
 * each atom, so an update reads nothing back; it trusts that only while no other writer has taken
 * the store's lock since (each writer stamps the lock file) and the record's file is the one it
 * wrote.
 *
 * <p>A store is read as it is found, without {@code upgrade()} ({@link
 * io.taskflow4j.persistence.Backends#fetch}): a store TaskFlow wrote, one missing a directory that
 * TaskFlow had no reason to make yet ({@code validate()} then throws {@link
 * io.taskflow4j.persistence.UpgradeRequiredException}; {@code upgrade()} adds it), one this process
 * may not write ({@code validate()} throws {@link
 * io.taskflow4j.persistence.ReadOnlyStoreException}). What interrupted writes left is removed by
 * {@code upgrade()} or, on a store opened without it, before the backend's first write, under the
 * write lock, so never from under a live writer. TaskFlow may work on the same store meanwhile: its
 * writes exclude ours object by object, a copy read before TaskFlow rewrote a record is refused as
 * stale, and children keep their order whatever TaskFlow rewrites.
 *
 * <p>Flow details carry their record times as {@code created_at} and {@code updated_at} keys, which
 * TaskFlow ignores; a flow detail TaskFlow wrote reports its file's modification time. {@link
 * Connection#findFlows} and {@link Connection#countFlows} scan every book and flow record (not the
 * atom records, except to count those of the page's flows), without a lock and holding one page;
 * {@link Connection#destroyFlowDetail} removes the book's link first, so a crash never leaves a
 * link TaskFlow cannot follow.
 *
 * <p>Fencing ({@link Connection#advanceFence}, {@link Connection#fenced}): the highest token of
 * each job is kept in {@code <path>/fences/<job uuid>} (a folder TaskFlow ignores). A fenced write
 * compares it with its own token under the store's write lock, the same lock an advance takes, so
 * no write of a stale owner lands once the advance has returned. The file-lock jobboard of the same
 * connection string (the file jobboard that {@code Jobboards.open("dir://…")} opens) advances it at
 * every claim.
 *
 * <p>Configuration keys:
 *
 * <ul>
 *   <li>{@code path} — the store directory (required; made absolute).
 *   <li>{@code durability} — {@code power} (default: fsync each written file before its rename and
 *       each changed directory after; a write that returned survives a power loss, except a RUNNING
 *       or REVERTING marker, which is never synced and after a power loss reads as the state it
 *       replaced) or {@code process} (no fsync: survives the process being killed, not the machine
 *       losing power). docs/RELIABILITY.md says exactly what each promises.
 *   <li>{@code permissions} — {@code owner} (default: files 0600, directories 0700), {@code group}
 *       (0660 / 0770, for a service group) or {@code umask} (left to the process umask). Only on
 *       POSIX file systems.
 *   <li>{@code sweep_on_upgrade} — {@code true} (default): the sweep of what interrupted writes
 *       left, which {@code upgrade()} runs (or, on a backend whose store was not upgraded, its
 *       first write), also scans every object directory, for objects an interrupted write left
 *       unlinked and for temporary files that earlier builds of this backend left there; {@code
 *       false} limits it to the {@code .tmp} directory (faster start on very large stores).
 *   <li>{@code max_cache_size} — accepted for TaskFlow compatibility (a whole number ≥ 1); this
 *       backend keeps no object cache, the operating system's page cache serves re-reads.
 *   <li>{@code encoding} — accepted for TaskFlow compatibility; only {@code utf-8}.
 * </ul>
 */
public final class DirBackend implements Backend {
  /** Configuration key: {@code power} or {@code process}. */
  public static final String DURABILITY = "durability";

  /** Configuration key: {@code owner}, {@code group} or {@code umask}. */
  public static final String PERMISSIONS = "permissions";

  /** Configuration key: whether {@code upgrade()} scans every object for stale temporary files. */
  public static final String SWEEP_ON_UPGRADE = "sweep_on_upgrade";

  private static final String EXAMPLE =
      "e.g. 'dir:///var/lib/app/flows' or {connection: dir, path: /var/lib/app/flows}";

  private final BackendConf conf;
  private final DirStore store;

  /** What waits for its sync after a commit ({@code durability=power}); for tests. */
  MetadataSyncer metadataSyncer() {
    return store.writer.syncer;
  }

  /**
   * Makes a backend from its configuration, without touching the directory.
   *
   * @throws InvalidConfigurationException when the path is missing or a key is invalid
   */
  public DirBackend(BackendConf conf) {
    this(conf, DirWriteHook.NONE);
  }

  private DirBackend(BackendConf conf, DirWriteHook hook) {
    this.conf = Objects.requireNonNull(conf, "conf");
    Path root = path(conf);
    boolean sync = conf.getChoice(DURABILITY, "power", "power", "process").equals("power");
    String perms = conf.getChoice(PERMISSIONS, "owner", "owner", "group", "umask");
    boolean sweep = conf.getBoolean(SWEEP_ON_UPGRADE, true);
    conf.getInt("max_cache_size", 1, 1, Integer.MAX_VALUE);
    String encoding = conf.getString("encoding").orElse("utf-8").strip().toLowerCase(Locale.ROOT);
    if (!encoding.equals("utf-8") && !encoding.equals("utf8")) {
      throw new InvalidConfigurationException(
          "'encoding' must be utf-8 (the only encoding of JSON stores), not '" + encoding + "'");
    }
    Set<PosixFilePermission> filePerms = null;
    Set<PosixFilePermission> dirPerms = null;
    if (perms.equals("owner")) {
      filePerms = PosixFilePermissions.fromString("rw-------");
      dirPerms = PosixFilePermissions.fromString("rwx------");
    } else if (perms.equals("group")) {
      filePerms = PosixFilePermissions.fromString("rw-rw----");
      dirPerms = PosixFilePermissions.fromString("rwxrwx---");
    }
    this.store =
        new DirStore(
            root,
            sync,
            sweep,
            Objects.requireNonNull(hook, "hook"),
            filePerms,
            dirPerms,
            perms.equals("group"));
  }

  /** A builder, to install a {@link DirWriteHook} (for crash tests and instrumentation). */
  public static Builder builder(BackendConf conf) {
    return new Builder(conf);
  }

  /** Builds a {@link DirBackend} with options that cannot be given as configuration keys. */
  public static final class Builder {
    private final BackendConf conf;
    private DirWriteHook hook = DirWriteHook.NONE;

    private Builder(BackendConf conf) {
      this.conf = Objects.requireNonNull(conf, "conf");
    }

    /** Observes every write step; see {@link DirWriteHook}. */
    public Builder writeHook(DirWriteHook hook) {
      this.hook = Objects.requireNonNull(hook, "hook");
      return this;
    }

    /**
     * Makes the backend.
     *
     * @throws InvalidConfigurationException when the configuration is invalid
     */
    public DirBackend build() {
      return new DirBackend(conf, hook);
    }
  }

  private static Path path(BackendConf conf) {
    String host = conf.getString("hostname").orElse("");
    if (!host.isEmpty() && !host.equalsIgnoreCase("localhost")) {
      throw new InvalidConfigurationException(
          "a directory connection takes no host ('"
              + host
              + "' in "
              + BackendConf.mask(conf.connection())
              + "); write the absolute path after three slashes, "
              + EXAMPLE);
    }
    String p = conf.getString("path").orElse("").strip();
    if (p.isEmpty()) {
      throw new InvalidConfigurationException(
          "the directory backend needs a 'path' (the store directory), " + EXAMPLE);
    }
    try {
      return Paths.get(p).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new InvalidConfigurationException(
          "'path' is not a valid directory name here (" + e.getReason() + "), " + EXAMPLE, e);
    }
  }

  /** The store directory (absolute). */
  public Path path() {
    return store.root();
  }

  @Override
  public BackendConf conf() {
    return conf;
  }

  @Override
  public Connection getConnection() {
    store.ensureOpen();
    return new DirConnection(this, store);
  }

  /** Releases the store's lock file; the files stay. Idempotent. */
  @Override
  public void close() {
    store.close();
  }

  @Override
  public String toString() {
    return "DirBackend{" + store.root() + '}';
  }
}
