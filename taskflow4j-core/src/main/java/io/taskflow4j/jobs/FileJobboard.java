package io.taskflow4j.jobs;

import static io.taskflow4j.jobs.FileClaimLocks.isLocked;
import static io.taskflow4j.jobs.FileClaimLocks.tryLock;
import static io.taskflow4j.jobs.FileClaimLocks.unlock;
import static io.taskflow4j.jobs.FilePostings.instant;
import static io.taskflow4j.jobs.FilePostings.number;
import static io.taskflow4j.jobs.FilePostings.readJson;
import static io.taskflow4j.jobs.FilePostings.string;
import static io.taskflow4j.jobs.FilePostings.toJob;
import static io.taskflow4j.jobs.FilePostings.toMap;
import static io.taskflow4j.jobs.FilePostings.withFailures;

import io.taskflow4j.internal.AtomicFiles;
import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.jobs.FileClaimLocks.Held;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.Fence;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.dir.DirBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A board for several processes on one host, kept next to the logbooks of a {@link DirBackend}
 * store ({@code dir:///var/lib/app/flows?lease=10}). A claim is an operating-system file lock held
 * by the claiming process: the kernel drops it the moment the process dies, so a peer takes the job
 * over at once, and never while the process is merely paused, so a paused owner cannot be taken
 * over and come back as a zombie. Each claim raises the job's token and the dir store's fence of
 * the job before the claim is handed out.
 *
 * <p>Layout under the store directory ({@code board} names the folder, default {@code jobs}):
 * {@code jobs/<priority code>-<sequence>-<uuid>.json} the posting (the name carries the claiming
 * order, see {@link FilePostings}; replaced atomically: written to a temporary file, fsynced,
 * renamed), {@code jobs/<uuid>.lock} the claim lock, {@code jobs/.sequence} the posting counter,
 * {@code jobs/.board.lock} the lock of posting, {@code jobs-trash/<uuid>.json} trashed jobs and
 * {@code jobs-conductors/<id>.json} + {@code .lock} the registered conductors (alive while locked).
 * The store's {@code durability} key applies ({@code process}: no fsync).
 *
 * <p>Only for local file systems: network file systems differ in their locking.
 *
 * <p>Opened through {@link Jobboards#open} ({@link FileJobboardProvider}); the posting format is in
 * {@link FilePostings}, the locks in {@link FileClaimLocks}.
 */
final class FileJobboard extends AbstractJobboard {
  /** The board's folder when the configuration names none. */
  static final String DEFAULT_BOARD = "jobs";

  private static final Pattern BOARD_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,99}");
  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,99}");
  private static final Set<String> STORE_FOLDERS =
      Set.of("books", "flow_details", "atom_details", "fences");
  private static final String JSON = FilePostings.JSON;
  private static final String LOCK = ".lock";
  private static final Duration LEFTOVER_AGE = Duration.ofMinutes(1);

  private final DirBackend store;
  private final boolean sync; // durability=power: fsync what is written
  private final Path dir;
  private final Path trash;
  private final Path conductorsDir;
  private final Map<String, Held> claims = new ConcurrentHashMap<>(); // by job uuid
  private final Set<Held> registrations = ConcurrentHashMap.newKeySet();

  /**
   * Opens the board of a {@code dir} or {@code file} configuration, creating its folders.
   *
   * @throws InvalidConfigurationException for a bad path, lease or board name
   * @throws StorageException when the folders cannot be made
   */
  FileJobboard(BackendConf conf) {
    super(Jobboards.leaseTime(conf), Clock.systemUTC());
    try {
      String board = conf.getString(Jobboards.BOARD).orElse(DEFAULT_BOARD).strip();
      if (!BOARD_NAME.matcher(board).matches()) {
        throw new InvalidConfigurationException(
            "'board' must be a folder name of 1 to 100 letters, digits, '-' or '_', not '"
                + board
                + "'");
      }
      if (STORE_FOLDERS.contains(board)) {
        throw new InvalidConfigurationException(
            "'board' must not be '" + board + "': the logbook store keeps its own files there");
      }
      this.store = new DirBackend(conf);
      this.sync =
          conf.getChoice(DirBackend.DURABILITY, "power", "power", "process").equals("power");
      Path root = store.path();
      try {
        Files.createDirectories(root.resolve(board));
        this.dir = root.resolve(board).toRealPath();
        this.trash = Files.createDirectories(dir.resolveSibling(board + "-trash"));
        this.conductorsDir = Files.createDirectories(dir.resolveSibling(board + "-conductors"));
      } catch (IOException e) {
        throw failure("create the board folders under", root, e);
      }
      for (Path folder : List.of(dir, trash, conductorsDir)) {
        removeOldTemporaries(folder);
      }
      removeLocksOfRemovedJobs();
    } catch (RuntimeException e) {
      super.close();
      throw e;
    }
  }

  @Override
  public String describe() {
    return "file jobboard " + dir;
  }

  // ---------------------------------------------------------------- posting and listing

  @Override
  public Job post(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    Job[] existing = new Job[1];
    Job job =
        boardLocked(
            () -> {
              if (spec.idempotencyKey() != null) {
                for (Map<?, ?> p : postings(dir)) {
                  if (spec.idempotencyKey().equals(p.get("idempotency_key"))) {
                    existing[0] = view(p);
                    return existing[0];
                  }
                }
              }
              long seq = readSequence() + 1;
              writeAtomically(
                  dir.resolve(".sequence"), Long.toString(seq).getBytes(StandardCharsets.US_ASCII));
              Job j =
                  new Job(
                      UUID.randomUUID().toString(),
                      spec.name(),
                      spec.book(),
                      spec.details(),
                      spec.priority(),
                      seq,
                      clock().instant(),
                      JobState.UNCLAIMED,
                      null,
                      0,
                      0,
                      spec.idempotencyKey());
              writeAtomically(
                  dir.resolve(FilePostings.fileName(j)), Json.writeBytes(toMap(j, null, null)));
              return j;
            });
    if (existing[0] == null) {
      emit(JobEvent.Kind.POSTED, job.uuid(), null);
    }
    return job;
  }

  @Override
  public List<Job> jobs() {
    List<Job> out = new ArrayList<>();
    for (Map<?, ?> p : postings(dir)) {
      out.add(view(p));
    }
    out.sort(Job::compareForClaiming);
    return out;
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    if (jobUuid == null || !JOB_ID.matcher(jobUuid).matches()) {
      return Optional.empty();
    }
    Path file = postingOf(jobUuid);
    Map<?, ?> p = file == null ? null : readPosting(file);
    return p == null ? Optional.empty() : Optional.of(view(p));
  }

  @Override
  public List<Job> trashedJobs() {
    List<Job> out = new ArrayList<>();
    for (Map<?, ?> p : postings(trash)) {
      out.add(toJob(p, JobState.TRASHED, null));
    }
    out.sort(Comparator.comparingLong(Job::sequence));
    return out;
  }

  @Override
  public List<TrashedJob> trashEntries() {
    List<TrashedJob> out = new ArrayList<>();
    for (Path file : files(trash)) {
      Map<?, ?> p = readPosting(file);
      if (p != null) {
        Instant on = trashedOn(file, p);
        Object reason = p.get("trash_reason");
        out.add(
            new TrashedJob(
                toJob(p, JobState.TRASHED, null), on, reason instanceof String r ? r : null));
      }
    }
    out.sort(Comparator.comparingLong(t -> t.job().sequence()));
    return out;
  }

  /** The job as listed now: CLAIMED while its owner holds the lock, whatever the posting says. */
  private Job view(Map<?, ?> p) {
    if (isLocked(lockFile(string(p, "uuid")))) {
      return toJob(p, JobState.CLAIMED, p.get("owner") instanceof String s ? s : null);
    }
    return toJob(p, JobState.UNCLAIMED, null);
  }

  // ---------------------------------------------------------------- claiming

  @Override
  public Optional<Claim> claim(String jobUuid, OwnerId owner) {
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    Path file = jobUuid == null || !JOB_ID.matcher(jobUuid).matches() ? null : postingOf(jobUuid);
    if (file == null) {
      throw new NotFoundException("Job '" + jobUuid + "' is not on the board " + dir);
    }
    return claimAt(file, jobUuid, owner);
  }

  /** Claims the job posted in {@code file}: lock, then raise the token and the fence. */
  private Optional<Claim> claimAt(Path file, String jobUuid, OwnerId owner) {
    Held lock = tryLock(lockFile(jobUuid));
    if (lock == null) {
      return Optional.empty();
    }
    try {
      Map<?, ?> p = readPosting(file);
      if (p == null) {
        // completed or trashed meanwhile; do not leave a lock file of a job that is gone
        deleteIfExists(lock.file);
        throw new NotFoundException("Job '" + jobUuid + "' is not on the board " + dir);
      }
      long token;
      try (Connection c = store.getConnection()) {
        // the fence may be ahead of the posting (a posting restored from a copy): stay above it
        token = Math.max(number(p, "token"), c.fenceToken(jobUuid).orElse(0)) + 1;
        Job claimed = toJob(p, JobState.CLAIMED, owner.id(), token);
        writeAtomically(file, Json.writeBytes(toMap(claimed, p.get("last_failure"), null)));
        c.advanceFence(new Fence(jobUuid, token));
        lock.token = token;
        lock.posting = file;
        claims.put(jobUuid, lock);
        return Optional.of(newClaim(claimed, owner, token, clock().instant().plus(leaseTime())));
      }
    } catch (RuntimeException e) {
      claims.remove(jobUuid, lock);
      unlock(lock);
      throw e;
    }
  }

  @Override
  public Optional<Claim> claimNext(OwnerId owner) {
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    // One pass in claiming order (told by the file names), reading only the posting of the job
    // locked: a job locked by a peer right now is skipped, not waited for.
    for (FilePostings.Name n : postingFiles()) {
      Path file = n.file();
      String uuid = n.uuid();
      if (isLocked(lockFile(uuid))) {
        continue;
      }
      try {
        Optional<Claim> c = claimAt(file, uuid, owner);
        if (c.isPresent()) {
          return c;
        }
      } catch (NotFoundException gone) {
        // completed meanwhile
      }
    }
    return Optional.empty();
  }

  /** This board's lock of a claim still held with the claim's token, else FencedException. */
  private Held held(Claim claim, String action) {
    Held h = claims.get(claim.job().uuid());
    Map<?, ?> p = h == null ? null : readPosting(h.posting);
    if (h == null
        || h.token != claim.token()
        || !h.isValid()
        || p == null
        || number(p, "token") != claim.token()) {
      throw claimNotHeld(claim, action, "this board's lock on it is gone");
    }
    return h;
  }

  @Override
  protected Instant renewLease(Claim claim) {
    held(claim, "renew");
    return clock().instant().plus(leaseTime());
  }

  @Override
  protected void completeJob(Claim claim) {
    Held h = held(claim, "complete");
    deletePostingAndLock(claim.job().uuid(), h);
  }

  @Override
  protected void releaseJob(Claim claim, String failure) {
    Held h = held(claim, "release");
    Map<?, ?> p = readPosting(h.posting);
    Job j = toJob(p, JobState.UNCLAIMED, null);
    if (failure != null) {
      j = withFailures(j, j.failures() + 1);
    }
    Object lastFailure = failure != null ? failure : p.get("last_failure");
    writeAtomically(h.posting, Json.writeBytes(toMap(j, lastFailure, null)));
    claims.remove(j.uuid(), h);
    unlock(h);
  }

  @Override
  protected void trashJob(Claim claim, String reason) {
    Held h = held(claim, "trash");
    Map<?, ?> p = readPosting(h.posting);
    Job j = toJob(p, JobState.TRASHED, null);
    Map<String, Object> m = toMap(j, p.get("last_failure"), reason);
    m.put(TRASHED_ON, clock().instant().toString());
    writeAtomically(trash.resolve(j.uuid() + JSON), Json.writeBytes(m));
    deletePostingAndLock(j.uuid(), h);
  }

  /** When a job was trashed, in its trash file (files of earlier versions: their mtime). */
  private static final String TRASHED_ON = "trashed_on";

  @Override
  public long purgeTrash(Instant trashedBefore) {
    Objects.requireNonNull(trashedBefore, "trashedBefore");
    ensureOpen();
    long removed = 0;
    for (Path file : files(trash)) {
      Instant on = trashedOn(file);
      if (on != null && on.isBefore(trashedBefore) && deleteIfExists(file)) {
        removed++;
      }
    }
    if (removed > 0) {
      syncDir(trash);
    }
    return removed;
  }

  /**
   * When the job of trash file {@code file} was trashed; {@code null} when it is gone. A file that
   * does not say (an earlier version's), or cannot be read as JSON, is dated by its modification
   * time: a damaged file must not keep the trash from being emptied.
   */
  private static Instant trashedOn(Path file) {
    Map<?, ?> m;
    try {
      m = readJson(file, "uuid");
    } catch (StorageException damaged) {
      m = Map.of(); // dated by the file's time
    }
    return m == null ? null : trashedOn(file, m);
  }

  /** {@link #trashedOn(Path)} of a trash file already read as {@code m}. */
  private static Instant trashedOn(Path file, Map<?, ?> m) {
    try {
      if (m.get(TRASHED_ON) != null) {
        return instant(m, TRASHED_ON, "trash file " + file);
      }
    } catch (StorageException damaged) {
      // dated by the file's time, below
    }
    try {
      return Files.getLastModifiedTime(file).toInstant();
    } catch (java.nio.file.NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw failure("read the time of", file, e);
    }
  }

  /**
   * Removes a job, lock held: the posting first, then the lock file, then the lock. A peer that
   * locks the unlinked lock file later finds no posting and gives up.
   */
  private void deletePostingAndLock(String uuid, Held h) {
    deleteIfExists(h.posting);
    syncDir(dir);
    deleteIfExists(h.file);
    claims.remove(uuid, h);
    unlock(h);
  }

  @Override
  protected boolean hasClaimableWork() {
    for (FilePostings.Name n : postingFiles()) {
      if (!isLocked(lockFile(n.uuid()))) {
        return true;
      }
    }
    return false;
  }

  @Override
  protected Duration pollInterval() {
    // peers' posts and releases, and dead owners, send no signal here: look a few times a second
    Duration quarter = leaseTime().dividedBy(4);
    return quarter.compareTo(Duration.ofMillis(250)) < 0 ? quarter : Duration.ofMillis(250);
  }

  // ---------------------------------------------------------------- conductors

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    Objects.requireNonNull(conductor, "conductor");
    ensureOpen();
    String name = UUID.randomUUID().toString();
    Held lock = tryLock(conductorsDir.resolve(name + LOCK));
    if (lock == null) {
      throw new StorageException("Could not lock the new registration file of " + conductor);
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("id", conductor.id());
    info.put("name", conductor.name());
    info.put("host", HostIdentity.hostName());
    info.put("pid", HostIdentity.pid());
    info.put("since", clock().instant().toString());
    info.put("meta", meta == null ? Map.of() : Json.normalize(meta));
    Path json = conductorsDir.resolve(name + JSON);
    try {
      writeAtomically(json, Json.writeBytes(info));
    } catch (RuntimeException e) {
      unlock(lock);
      throw e;
    }
    registrations.add(lock);
    return () -> {
      if (registrations.remove(lock)) {
        deleteIfExists(json);
        deleteIfExists(lock.file);
        unlock(lock);
      }
    };
  }

  @Override
  public List<ConductorInfo> conductors() {
    List<ConductorInfo> out = new ArrayList<>();
    for (Path json : files(conductorsDir)) {
      String base = json.getFileName().toString();
      Path lock = conductorsDir.resolve(base.substring(0, base.length() - JSON.length()) + LOCK);
      Map<?, ?> m = readJson(json, "id");
      if (m == null) {
        continue;
      }
      if (!isLocked(lock)) {
        removeIfLongDead(json, lock);
        continue;
      }
      Map<String, Object> meta = new HashMap<>();
      if (m.get("meta") instanceof Map<?, ?> mm) {
        mm.forEach((k, v) -> meta.put(String.valueOf(k), v));
      }
      out.add(
          new ConductorInfo(
              string(m, "id"),
              string(m, "name"),
              m.get("host") instanceof String h ? h : null,
              number(m, "pid"),
              instant(m, "since", json.toString()),
              meta));
    }
    out.sort(Comparator.comparing(ConductorInfo::since).thenComparing(ConductorInfo::id));
    return out;
  }

  /** Deletes a dead process's registration once it is old enough not to be one being made. */
  private void removeIfLongDead(Path json, Path lock) {
    try {
      FileTime t = Files.getLastModifiedTime(json);
      if (t.toInstant().plus(LEFTOVER_AGE).isBefore(clock().instant())) {
        Files.deleteIfExists(json);
        Files.deleteIfExists(lock);
      }
    } catch (IOException e) {
      // another board cleaned it up first, or it is unreadable: listing goes on
    }
  }

  /** Deletes what writes cut by a crash left; young ones may be another process's, in flight. */
  private void removeOldTemporaries(Path folder) {
    Instant before = clock().instant().minus(LEFTOVER_AGE);
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(folder, AtomicFiles.TEMP_PREFIX + "*")) {
      for (Path t : ds) {
        if (Files.getLastModifiedTime(t).toInstant().isBefore(before)) {
          Files.deleteIfExists(t);
        }
      }
    } catch (IOException e) {
      // harmless leftovers: the board works with them
    }
  }

  /**
   * Deletes the lock files of jobs whose posting is gone (a crash between the two deletes of a
   * complete): the posting never comes back, so whoever may lock such a file gives up anyway.
   */
  private void removeLocksOfRemovedJobs() {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "[!.]*" + LOCK)) {
      for (Path l : ds) {
        String base = l.getFileName().toString();
        String uuid = base.substring(0, base.length() - LOCK.length());
        // only the board's own lock files: another name could not be looked up as a job's
        if (JOB_ID.matcher(uuid).matches() && postingOf(uuid) == null) {
          Files.deleteIfExists(l);
        }
      }
    } catch (IOException e) {
      // harmless leftovers: the board works with them
    }
  }

  // ---------------------------------------------------------------- closing

  /**
   * Stops the renewals and drops this board's locks, as the death of the process would: its claims
   * can be taken over at once, its registrations vanish.
   */
  @Override
  public void close() {
    if (isClosed()) {
      return;
    }
    super.close();
    for (Held h : claims.values()) {
      unlock(h);
    }
    claims.clear();
    for (Held h : registrations) {
      unlock(h);
    }
    registrations.clear();
    store.close();
  }

  /** Runs {@code body} holding the board lock (see {@link FileClaimLocks#boardLocked}). */
  private <T> T boardLocked(Supplier<T> body) {
    return FileClaimLocks.boardLocked(dir, body);
  }

  // ---------------------------------------------------------------- files

  /** The postings of the board in claiming order (file names only). */
  private List<FilePostings.Name> postingFiles() {
    return FilePostings.list(dir);
  }

  /** The posting of a job (a checked uuid), or {@code null} when it is not on the board. */
  private Path postingOf(String uuid) {
    return FilePostings.find(dir, uuid);
  }

  private Path lockFile(String uuid) {
    return dir.resolve(uuid + LOCK);
  }

  private long readSequence() {
    byte[] raw = FilePostings.readOrNull(dir.resolve(".sequence"));
    long seq = 0;
    if (raw != null) {
      try {
        seq = Long.parseLong(new String(raw, StandardCharsets.US_ASCII).strip());
      } catch (NumberFormatException e) {
        throw new StorageException(
            "The board's counter " + dir.resolve(".sequence") + " is corrupt");
      }
    }
    for (FilePostings.Name n : postingFiles()) {
      seq = Math.max(seq, n.sequence());
    }
    return seq;
  }

  private static List<Map<?, ?>> postings(Path folder) {
    return FilePostings.readAll(folder);
  }

  private static List<Path> files(Path folder) {
    return FilePostings.files(folder);
  }

  private static Map<?, ?> readPosting(Path file) {
    return FilePostings.read(file);
  }

  /** Replaces {@code target} whole (fsynced, with its folder, under {@code durability=power}). */
  private void writeAtomically(Path target, byte[] data) {
    try {
      AtomicFiles.replace(target, data, sync);
    } catch (IOException e) {
      throw failure("write", target, e);
    }
  }

  private void syncDir(Path folder) {
    if (!sync) {
      return;
    }
    try {
      AtomicFiles.syncDirectory(folder);
    } catch (IOException e) {
      throw failure("fsync the folder", folder, e);
    }
  }

  /** Deletes {@code file}; whether it was there. */
  private static boolean deleteIfExists(Path file) {
    try {
      return Files.deleteIfExists(file);
    } catch (IOException e) {
      throw failure("delete", file, e);
    }
  }

  private static StorageException failure(String action, Path path, IOException e) {
    return FilePostings.failure(action, path, e);
  }
}
