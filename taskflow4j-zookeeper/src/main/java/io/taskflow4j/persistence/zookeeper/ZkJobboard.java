package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkPostings.JOB_PREFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.LOCK_POSTFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.entry;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.inClaimingOrder;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.jobName;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.parse;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.posting;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.toJob;

import io.taskflow4j.jobs.AbstractJobboard;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.jobs.TrashedJob;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.zookeeper.ZkClaims.Attempt;
import io.taskflow4j.persistence.zookeeper.ZkClaims.Outcome;
import io.taskflow4j.persistence.zookeeper.ZkPostings.Entry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A jobboard in ZooKeeper, in TaskFlow's layout (its {@code ZookeeperJobBoard}), with fencing
 * tokens. With the default board path {@code <root>/jobs} ({@code /taskflow/jobs}):
 *
 * <pre>
 * /taskflow/jobs/job0000000000        PERSISTENT_SEQUENTIAL, TaskFlow's JSON posting
 *                                     {"uuid","name","priority","details","book":{"name","uuid"}}
 *                                     plus "failures" and "idempotency_key" (TaskFlow ignores them)
 * /taskflow/jobs/job0000000000.lock   EPHEMERAL {"owner": id, "token": t}: the claim
 * /taskflow/.trash/job0000000000      PERSISTENT, the posting of a trashed job
 * /taskflow/.entities/conductor/&lt;id&gt;  EPHEMERAL, a registered conductor
 * /taskflow/.keys/&lt;key&gt;              PERSISTENT, idempotency key → job uuid
 * </pre>
 *
 * <p>A claim is one transaction {@code {setData(job, same data, version = v), create(lock)}}: its
 * token is the job znode's new version {@code v + 1}, which only grows. Complete, release and trash
 * check the job's version equals the token in the same transaction, so a claim taken over since
 * cannot end the job. The lease is the ZooKeeper session: {@link #leaseTime()} is the negotiated
 * session timeout; when Curator reports the session LOST (or the server expired it), every claim is
 * lost, and a watch on the jobs directory reports the vanishing of a held lock as a lost claim.
 * Idle waiting is watch-driven: a persistent recursive watch on the jobs directory signals new jobs
 * and removed locks.
 *
 * <p>Jobs are handed out highest priority first, then by sequence (TaskFlow's board does the
 * reverse).
 *
 * <p>The postings' JSON is in {@link ZkPostings}, the paths and reads of the board in {@link
 * ZkJobReads}, the claim transactions in {@link ZkClaims}, the conductor registry in {@link
 * ZkConductors}.
 */
final class ZkJobboard extends AbstractJobboard {
  private static final Logger LOG = LoggerFactory.getLogger(ZkJobboard.class);

  /** Candidate jobs one {@link #claimNext} tries before listing the board again. */
  private static final int MAX_LISTINGS = 20;

  private final ZkBackend zk;
  private final String jobsPath;
  private final ZkJobReads reads;
  private final ZkClaims claims;
  private final ZkConductors conductors;
  private final Watcher watcher = this::onEvent;

  /** Uuids of jobs posted through this board (their POSTED event was emitted already). */
  private final Set<String> ownPosts = ConcurrentHashMap.newKeySet();

  private ZkJobboard(ZkBackend zk, Duration lease, String jobsPath) {
    super(lease, Clock.systemUTC());
    this.zk = zk;
    this.jobsPath = jobsPath;
    this.reads = new ZkJobReads(zk, jobsPath);
    this.claims = new ZkClaims(zk, reads);
    this.conductors = new ZkConductors(zk, reads, clock());
  }

  /** Opens a board: its own session, whose timeout is the lease time. */
  static ZkJobboard open(BackendConf conf) {
    ZkSettings base = ZkSettings.from(conf);
    Duration lease;
    if (!conf.has(Jobboards.LEASE) && (conf.has("session_timeout_ms") || conf.has("timeout"))) {
      lease = Duration.ofMillis(base.sessionTimeoutMs());
    } else {
      lease = Jobboards.leaseTime(conf);
    }
    String board = conf.getString(Jobboards.BOARD).map(String::strip).orElse("jobs");
    String jobsPath = board.startsWith("/") ? board : base.path() + "/" + board;
    if (jobsPath.endsWith("/")) {
      jobsPath = jobsPath.substring(0, jobsPath.length() - 1);
    }
    try {
      org.apache.zookeeper.common.PathUtils.validatePath(jobsPath);
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigurationException(
          "'board' " + board + " is not a valid znode path: " + e.getMessage());
    }
    if (jobsPath.lastIndexOf('/') <= 0) {
      throw new InvalidConfigurationException(
          "'board' must be a znode below a parent (such as /taskflow/jobs), not " + jobsPath);
    }
    ZkBackend backend =
        new ZkBackend(conf, base.withSessionTimeoutMs((int) Math.min(lease.toMillis(), 3_600_000)));
    try {
      CuratorFramework c = backend.curator();
      if (!c.blockUntilConnected(base.connectionTimeoutMs(), TimeUnit.MILLISECONDS)) {
        throw new StorageException(
            "ZooKeeper at "
                + base.connectString()
                + " could not be reached within "
                + base.connectionTimeoutMs()
                + " ms while opening the jobboard "
                + jobsPath);
      }
      int negotiated = backend.currentZooKeeper().getSessionTimeout();
      ZkJobboard b = new ZkJobboard(backend, Duration.ofMillis(negotiated), jobsPath);
      b.start();
      return b;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      backend.close();
      throw new StorageException("interrupted while opening the jobboard " + jobsPath, e);
    } catch (KeeperException e) {
      backend.close();
      throw new StorageException("could not open the jobboard " + jobsPath + ": " + e.code(), e);
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  private void start() {
    zk.run(
        "preparing the jobboard " + jobsPath,
        (h, attempt) -> {
          for (String p :
              List.of(jobsPath, reads.trashPath, reads.conductorsPath, reads.keysPath)) {
            ensurePath(h, p);
          }
          return null;
        });
    zk.curator().getConnectionStateListenable().addListener(this::onStateChange);
    addWatch();
  }

  private void ensurePath(ZooKeeper h, String path) throws KeeperException, InterruptedException {
    if (h.exists(path, false) != null) {
      return;
    }
    int slash = path.indexOf('/', 1);
    while (true) {
      String p = slash < 0 ? path : path.substring(0, slash);
      try {
        h.create(p, new byte[0], zk.acl(), CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // there already
      }
      if (slash < 0) {
        return;
      }
      slash = path.indexOf('/', slash + 1);
    }
  }

  private void addWatch() {
    zk.run(
        "watching the jobboard " + jobsPath,
        (h, attempt) -> {
          h.addWatch(jobsPath, watcher, AddWatchMode.PERSISTENT_RECURSIVE);
          return null;
        });
  }

  // ---- watches and session ------------------------------------------------------------------

  private void onStateChange(CuratorFramework client, ConnectionState state) {
    if (isClosed()) {
      return;
    }
    if (state == ConnectionState.LOST) {
      allClaimsLost("the ZooKeeper session was lost (no contact for the session timeout)");
    } else if (state == ConnectionState.RECONNECTED) {
      // a new session has no watches nor ephemeral znodes of the old one: restore them
      try {
        addWatch();
        conductors.restore();
      } catch (TaskFlowException e) {
        LOG.warn("Could not restore the watch of jobboard {}: {}", jobsPath, e.getMessage());
      }
      signalWork(); // jobs may have been posted or released while disconnected
    }
  }

  private void onEvent(WatchedEvent e) {
    if (isClosed()) {
      return;
    }
    if (e.getType() == Watcher.Event.EventType.None) {
      if (e.getState() == Watcher.Event.KeeperState.Expired) {
        allClaimsLost("the ZooKeeper session expired");
      }
      return;
    }
    String path = e.getPath();
    if (path == null || !path.startsWith(jobsPath + "/")) {
      return;
    }
    String name = path.substring(jobsPath.length() + 1);
    if (!name.startsWith(JOB_PREFIX) || name.contains("/")) {
      return;
    }
    if (name.endsWith(LOCK_POSTFIX)) {
      if (e.getType() == Watcher.Event.EventType.NodeDeleted) {
        String job = name.substring(0, name.length() - LOCK_POSTFIX.length());
        signalWork();
        if (!claims.endedHere(job)) {
          for (Claim c : heldClaims()) {
            if (jobName(c.job()).equals(job)) {
              claimLost(c.job().uuid(), "its lock znode " + path + " vanished");
            }
          }
        }
      }
    } else if (e.getType() == Watcher.Event.EventType.NodeCreated) {
      signalWork();
      announcePeerPost(path);
    } else {
      reads.forget(name); // changed or deleted
    }
  }

  /** Emits POSTED for a job a peer posted (its uuid is read asynchronously). */
  private void announcePeerPost(String path) {
    try {
      zk.curator()
          .getData()
          .inBackground(
              (client, event) -> {
                if (event.getResultCode() != Code.OK.intValue() || isClosed()) {
                  return;
                }
                Map<?, ?> posting = parse(event.getData());
                if (posting != null && posting.get("uuid") instanceof String uuid) {
                  if (!ownPosts.remove(uuid)) {
                    emit(JobEvent.Kind.POSTED, uuid, null);
                  }
                }
              })
          .forPath(path);
    } catch (Exception ex) {
      LOG.debug("Could not read the new job {}: {}", path, ex.toString());
    }
  }

  // ---- Jobboard -------------------------------------------------------------------------------

  @Override
  public String describe() {
    return "zookeeper jobboard " + zk.settings().describe() + " at " + jobsPath;
  }

  @Override
  public Job post(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    ensureOpen();
    String uuid = UUID.randomUUID().toString();
    byte[] data = posting(uuid, spec);
    String key = spec.idempotencyKey();
    ownPosts.add(uuid);
    Job job;
    try {
      job =
          zk.run(
              "posting job '" + spec.name() + "'",
              (h, attempt) -> {
                if (attempt > 0) {
                  // a lost reply may have been applied
                  Optional<Entry> landed = reads.find(h, uuid);
                  if (landed.isPresent()) {
                    return toJob(landed.get(), null);
                  }
                }
                while (true) {
                  if (key == null) {
                    Stat stat = new Stat();
                    String created =
                        h.create(
                            jobsPath + "/" + JOB_PREFIX,
                            data,
                            zk.acl(),
                            CreateMode.PERSISTENT_SEQUENTIAL,
                            stat);
                    return toJob(entry(created, stat, data), null);
                  }
                  String kp = reads.keyPath(key);
                  try {
                    List<OpResult> r =
                        ZkBackend.multi(
                            h,
                            List.of(
                                Op.create(
                                    kp,
                                    uuid.getBytes(StandardCharsets.UTF_8),
                                    zk.acl(),
                                    CreateMode.PERSISTENT),
                                Op.create(
                                    jobsPath + "/" + JOB_PREFIX,
                                    data,
                                    zk.acl(),
                                    CreateMode.PERSISTENT_SEQUENTIAL)));
                    String created = ((OpResult.CreateResult) r.get(1)).getPath();
                    Stat stat = h.exists(created, false);
                    if (stat == null) {
                      stat = new Stat();
                      stat.setCtime(clock().millis());
                    }
                    return toJob(entry(created, stat, data), null);
                  } catch (KeeperException e) {
                    if (e.getResults() == null || ZkClaims.errorAt(e, 0) != Code.NODEEXISTS) {
                      throw e;
                    }
                  }
                  // the key is taken: the job posted with it, if still on the board
                  Stat keyStat = new Stat();
                  String other;
                  try {
                    other = new String(h.getData(kp, false, keyStat), StandardCharsets.UTF_8);
                  } catch (KeeperException.NoNodeException gone) {
                    continue;
                  }
                  Optional<Entry> existing = reads.find(h, other);
                  if (existing.isPresent()) {
                    ownPosts.remove(uuid);
                    return toJob(existing.get(), null);
                  }
                  try {
                    h.delete(kp, keyStat.getVersion()); // a key left by a job removed elsewhere
                  } catch (KeeperException.NoNodeException
                      | KeeperException.BadVersionException e) {
                    // changed meanwhile: look again
                  }
                }
              });
    } catch (RuntimeException e) {
      ownPosts.remove(uuid);
      throw e;
    }
    if (job.uuid().equals(uuid)) {
      emit(JobEvent.Kind.POSTED, uuid, null);
    }
    return job;
  }

  private Claim held(Job job, OwnerId owner) {
    return newClaim(job, owner, job.token(), clock().instant().plus(leaseTime()));
  }

  @Override
  public Optional<Claim> claim(String jobUuid, OwnerId owner) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    boolean[] sent = new boolean[1];
    Attempt a =
        zk.run(
            "claiming job '" + jobUuid + "'",
            (h, attempt) -> {
              while (true) {
                Optional<Entry> e = reads.find(h, jobUuid);
                if (e.isEmpty()) {
                  throw new NotFoundException("Job '" + jobUuid + "' is not on the board");
                }
                if (e.get().lock() != null && !sent[0]) {
                  return new Attempt(Outcome.TAKEN, null);
                }
                Attempt r = claims.tryClaim(h, e.get(), owner, sent);
                if (r.outcome() != Outcome.STALE) {
                  return r;
                }
                // the version moved (a peer claimed, or released after a failure): look again
              }
            });
    return switch (a.outcome()) {
      case CLAIMED -> Optional.of(held(a.job(), owner));
      case TAKEN, STALE -> Optional.empty();
      case GONE -> throw new NotFoundException("Job '" + jobUuid + "' is not on the board");
    };
  }

  @Override
  public Optional<Claim> claimNext(OwnerId owner) {
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    List<Job> won = claimJobs(owner, 1);
    return won.isEmpty() ? Optional.empty() : Optional.of(held(won.get(0), owner));
  }

  /**
   * Claims up to {@code max} jobs from one listing of the board (the default would list it once per
   * job): each free job in claiming order gets its own claim transaction, as {@link
   * #claimNext(OwnerId)} gives it, until {@code max} are held or none is left. The board is listed
   * again only when some postings were out of date. A connection lost after a claim was sent looks
   * at that job first on the retry; a failure after some claims were taken returns those.
   */
  @Override
  public List<Claim> claimNext(OwnerId owner, int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1, was " + max);
    }
    Objects.requireNonNull(owner, "owner");
    ensureOpen();
    List<Job> won = claimJobs(owner, max);
    List<Claim> out = new ArrayList<>(won.size());
    for (Job j : won) {
      out.add(held(j, owner));
    }
    return out;
  }

  /** The jobs claimed for {@code owner}, at most {@code max}, in claiming order. */
  private List<Job> claimJobs(OwnerId owner, int max) {
    boolean[] sent = new boolean[1];
    Entry[] tried = new Entry[1];
    List<Job> won = new ArrayList<>();
    try {
      zk.run(
          max == 1
              ? "claiming the next job of " + jobsPath
              : "claiming up to " + max + " jobs of " + jobsPath,
          (h, attempt) -> {
            if (sent[0] && tried[0] != null) {
              // The reply of the last claim was lost with the connection: the server may have
              // applied it, locking that job for this session. Look there first, or the job
              // would stay locked by a claim nobody holds for as long as the session lives.
              Attempt r = claims.tryClaim(h, tried[0], owner, sent);
              sent[0] = false;
              if (r.outcome() == Outcome.CLAIMED) {
                won.add(r.job());
              }
            }
            Set<String> mine = new HashSet<>();
            won.forEach(j -> mine.add(j.uuid()));
            for (int listing = 0; listing < MAX_LISTINGS && won.size() < max; listing++) {
              List<Entry> free = reads.freeJobs(h);
              boolean stale = false;
              boolean spread = false;
              for (int i = 0; i < free.size() && won.size() < max; i++) {
                Entry e = free.get(i);
                if (mine.contains(String.valueOf(e.posting().get("uuid")))) {
                  continue;
                }
                tried[0] = e;
                Attempt r = claims.tryClaim(h, e, owner, sent);
                if (r.outcome() == Outcome.CLAIMED) {
                  won.add(r.job());
                  mine.add(r.job().uuid());
                } else if (r.outcome() != Outcome.TAKEN) {
                  reads.forget(e.name());
                  stale = true;
                } else if (!spread) {
                  spread = true;
                  spreadOut(free, i + 1);
                }
              }
              if (!stale) {
                break; // every listed job was tried
              }
              // some postings were out of date: list again with fresh ones
            }
            return null;
          });
    } catch (TaskFlowException e) {
      if (won.isEmpty()) {
        throw e;
      }
      LOG.debug("a batch claim ended early after {} of {} jobs", won.size(), max, e);
    }
    return won;
  }

  /** How many times this board listed its free jobs to claim some (for tests). */
  long listings() {
    return reads.listings();
  }

  /**
   * After losing a race, claimers would otherwise all try the same next job: rotate the jobs of the
   * same priority after {@code from} by a random offset, so that concurrent claimers spread over
   * them (each is still tried; strict age order holds only without contention anyway).
   */
  private static void spreadOut(List<Entry> free, int from) {
    if (from >= free.size()) {
      return;
    }
    String priority = String.valueOf(free.get(from).posting().get("priority"));
    int to = from;
    while (to < free.size()
        && priority.equals(String.valueOf(free.get(to).posting().get("priority")))) {
      to++;
    }
    int n = to - from;
    if (n > 1) {
      java.util.Collections.rotate(
          free.subList(from, to), -java.util.concurrent.ThreadLocalRandom.current().nextInt(n));
    }
  }

  @Override
  public List<Job> jobs() {
    ensureOpen();
    return inClaimingOrder(
        zk.run("listing the jobs of " + jobsPath, (h, a) -> reads.list(h, jobsPath, true)));
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    ensureOpen();
    return zk.run("reading job '" + jobUuid + "'", (h, a) -> reads.find(h, jobUuid))
        .map(e -> toJob(e, null));
  }

  @Override
  public List<Job> trashedJobs() {
    return TrashedJob.jobs(trashEntries());
  }

  /** When: the trash znode's creation time; why: the posting's {@code trash_reason}. */
  @Override
  public List<TrashedJob> trashEntries() {
    ensureOpen();
    List<Entry> entries =
        zk.run("listing the trash of " + jobsPath, (h, a) -> reads.list(h, reads.trashPath, false));
    List<TrashedJob> out = new ArrayList<>();
    for (Entry e : entries) {
      Object reason = e.posting().get("trash_reason");
      out.add(
          new TrashedJob(
              toJob(e, JobState.TRASHED),
              Instant.ofEpochMilli(e.stat().getCtime()),
              reason instanceof String r ? r : null));
    }
    out.sort(Comparator.comparingLong(t -> t.job().sequence()));
    return out;
  }

  /** When a job was trashed: the creation time of its trash znode, by the ensemble's clock. */
  @Override
  public long purgeTrash(Instant trashedBefore) {
    Objects.requireNonNull(trashedBefore, "trashedBefore");
    ensureOpen();
    long cutoff = trashedBefore.toEpochMilli();
    return zk.run(
        "emptying the trash of " + jobsPath,
        (h, a) -> {
          long removed = 0;
          for (Entry e : reads.list(h, reads.trashPath, false)) {
            if (e.stat().getCtime() >= cutoff) {
              continue;
            }
            try {
              h.delete(reads.trashPath + "/" + e.name(), -1);
              removed++;
            } catch (org.apache.zookeeper.KeeperException.NoNodeException gone) {
              // a peer emptied it first
            }
          }
          return removed;
        });
  }

  // ---- ending claims ------------------------------------------------------------------------

  @Override
  protected Instant renewLease(Claim claim) {
    if (!zk.curator().getZookeeperClient().isConnected()) {
      throw new StorageException("not connected to ZooKeeper; the session may still be alive");
    }
    Instant now = clock().instant();
    zk.run(
        "renewing the claim on job '" + claim.job().uuid() + "'",
        (h, a) -> {
          claims.checkLock(h, claim, "renew the claim on");
          return null;
        });
    return now.plus(leaseTime());
  }

  /** The error of an operation on a claim this board no longer holds (also {@link ZkClaims}'). */
  static FencedException notHeld(Claim claim, String action) {
    return claimNotHeld(claim, action, "its lock is gone or a peer claimed the job");
  }

  /**
   * A fenced view of {@code conn} that, when {@code conn} is a ZooKeeper store on this board's
   * ensemble with its credentials, deletes the job (its lock, znode and idempotency key) in the
   * multi-operation that writes the flow's final state, if the claim still holds the job ({@link
   * ZkJobCompletion}); otherwise {@code conn.fenced(claim.fence())}, and the job is completed on
   * its own.
   */
  @Override
  public io.taskflow4j.persistence.Connection fencedCompleting(
      Claim claim, io.taskflow4j.persistence.Connection conn, String flowUuid) {
    checkCompleting(claim, conn, flowUuid);
    return conn.fenced(
        claim.fence(),
        new ZkJobCompletion(
            zk,
            reads,
            claims,
            claim,
            flowUuid,
            completionStored(claim, () -> notHeld(claim, "complete"))));
  }

  @Override
  protected void completeJob(Claim claim) {
    claims.complete(claim);
  }

  @Override
  protected void releaseJob(Claim claim, String failure) {
    claims.release(claim, failure);
  }

  @Override
  protected void trashJob(Claim claim, String reason) {
    claims.trash(claim, reason);
  }

  // ---- conductors ---------------------------------------------------------------------------

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    Objects.requireNonNull(conductor, "conductor");
    ensureOpen();
    return conductors.register(conductor, meta, this::isClosed);
  }

  @Override
  public List<ConductorInfo> conductors() {
    ensureOpen();
    return conductors.list();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** The session's current ZooKeeper handle (for tests: session expiry). */
  ZooKeeper currentZooKeeper() throws KeeperException, InterruptedException {
    return zk.currentZooKeeper();
  }

  @Override
  public void close() {
    if (isClosed()) {
      return;
    }
    super.close();
    zk.close(); // ends the session: its locks and registrations go with it
  }

  @Override
  public String toString() {
    return "ZkJobboard{" + describe() + "}";
  }
}
