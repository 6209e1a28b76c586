package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.internal.HostIdentity;
import io.taskflow4j.jobs.AbstractJobboard;
import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.ConductorInfo;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobEvent;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import io.taskflow4j.persistence.BackendConf;
import io.taskflow4j.persistence.FencedException;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import io.taskflow4j.persistence.NotFoundException;
import io.taskflow4j.persistence.StorageException;
import io.taskflow4j.persistence.TaskFlowException;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 */
final class ZkJobboard extends AbstractJobboard {
  private static final Logger LOG = LoggerFactory.getLogger(ZkJobboard.class);
  private static final String JOB_PREFIX = "job";
  private static final String LOCK_POSTFIX = ".lock";
  private static final String FAILURES = "failures";
  private static final String KEY = "idempotency_key";

  /** Candidate jobs one {@link #claimNext} tries before listing the board again. */
  private static final int MAX_LISTINGS = 20;

  private final ZkBackend zk;
  private final String jobsPath;
  private final String trashPath;
  private final String conductorsPath;
  private final String keysPath;
  private final Watcher watcher = this::onEvent;

  /** Job znode names whose claim this board is ending: their lock's deletion is not a loss. */
  private final Set<String> ending = ConcurrentHashMap.newKeySet();

  /** Uuids of jobs posted through this board (their POSTED event was emitted already). */
  private final Set<String> ownPosts = ConcurrentHashMap.newKeySet();

  /**
   * Postings of unclaimed jobs last read (job znode name → entry without lock), dropped when the
   * watch sees the znode change: {@link #claimNext} reads only the postings it lacks. A stale
   * version fails the claim's version check, so the cache is never trusted blindly.
   */
  private final Map<String, Entry> postings = new ConcurrentHashMap<>();

  /** Live registrations: znode path → data, re-created after a session was lost. */
  private final Map<String, byte[]> registrations = new ConcurrentHashMap<>();

  private ZkJobboard(ZkBackend zk, Duration lease, String jobsPath) {
    super(lease, Clock.systemUTC());
    this.zk = zk;
    this.jobsPath = jobsPath;
    String parent = jobsPath.substring(0, jobsPath.lastIndexOf('/'));
    this.trashPath = parent + "/.trash";
    this.conductorsPath = parent + "/.entities/conductor";
    this.keysPath = parent + "/.keys";
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
          for (String p : List.of(jobsPath, trashPath, conductorsPath, keysPath)) {
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
        restoreRegistrations();
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
        if (!ending.remove(job)) {
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
      postings.remove(name); // changed or deleted
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

  // ---- postings -----------------------------------------------------------------------------

  private static String jobName(Job job) {
    return String.format("%s%010d", JOB_PREFIX, job.sequence());
  }

  private String jobPath(Job job) {
    return jobsPath + "/" + jobName(job);
  }

  private String lockPath(Job job) {
    return jobPath(job) + LOCK_POSTFIX;
  }

  private String keyPath(String key) {
    return keysPath + "/" + segment(key);
  }

  private static String segment(String s) {
    String e = URLEncoder.encode(s, StandardCharsets.UTF_8);
    return e.equals(".") || e.equals("..") ? e.replace(".", "%2E") : e;
  }

  private static Map<?, ?> parse(byte[] data) {
    try {
      Object v = Json.read(data == null ? new byte[0] : data);
      return v instanceof Map<?, ?> m ? m : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] posting(String uuid, JobSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("uuid", uuid);
    m.put("name", spec.name());
    m.put("priority", spec.priority().name());
    m.put("details", spec.details());
    if (spec.book() != null) {
      m.put("book", Map.of("name", spec.book().name(), "uuid", spec.book().uuid()));
    }
    if (spec.idempotencyKey() != null) {
      m.put(KEY, spec.idempotencyKey());
    }
    return Json.writeBytes(m);
  }

  /** A job znode as read: its name, stat, posting and lock (or {@code null}). */
  private record Entry(String name, Stat stat, byte[] data, Map<?, ?> posting, Map<?, ?> lock) {
    long sequence() {
      return Long.parseLong(name.substring(JOB_PREFIX.length()));
    }

    String uuid() {
      return String.valueOf(posting.get("uuid"));
    }
  }

  @SuppressWarnings("unchecked")
  private static Job toJob(Entry e, JobState state) {
    Map<?, ?> p = e.posting();
    BookRef book = null;
    if (p.get("book") instanceof Map<?, ?> b && b.get("name") != null && b.get("uuid") != null) {
      book = new BookRef(String.valueOf(b.get("name")), String.valueOf(b.get("uuid")));
    }
    JobPriority priority;
    try {
      priority = JobPriority.parse(String.valueOf(p.get("priority")));
    } catch (IllegalArgumentException ex) {
      priority = JobPriority.NORMAL;
    }
    Map<String, Object> details =
        p.get("details") instanceof Map<?, ?> d ? (Map<String, Object>) d : Map.of();
    String owner = null;
    long token = e.stat().getVersion();
    if (e.lock() != null) {
      owner = e.lock().get("owner") == null ? null : String.valueOf(e.lock().get("owner"));
      if (e.lock().get("token") instanceof Number n) {
        token = n.longValue();
      }
    }
    int failures = p.get(FAILURES) instanceof Number n ? n.intValue() : 0;
    return new Job(
        e.uuid(),
        String.valueOf(p.get("name")),
        book,
        details,
        priority,
        e.sequence(),
        Instant.ofEpochMilli(e.stat().getCtime()),
        state == null ? (e.lock() != null ? JobState.CLAIMED : JobState.UNCLAIMED) : state,
        state == null ? owner : null,
        token,
        failures,
        p.get(KEY) instanceof String k ? k : null);
  }

  private long readTimeoutMs() {
    return 2L * zk.settings().sessionTimeoutMs() + zk.settings().connectionTimeoutMs();
  }

  /** Every job znode of {@code dir} with its posting (and lock, for the jobs directory). */
  private List<Entry> list(ZooKeeper h, String dir, boolean withLocks)
      throws KeeperException, InterruptedException {
    Read ch = ZkReads.children(dir);
    ZkReads.run(h, List.of(ch), readTimeoutMs());
    if (!ch.found()) {
      return List.of();
    }
    Set<String> names = new HashSet<>(ch.children);
    List<Read> reads = new ArrayList<>();
    List<String> jobs = new ArrayList<>();
    for (String n : ch.children) {
      if (!n.startsWith(JOB_PREFIX) || n.endsWith(LOCK_POSTFIX)) {
        continue;
      }
      try {
        Long.parseLong(n.substring(JOB_PREFIX.length()));
      } catch (NumberFormatException e) {
        continue;
      }
      jobs.add(n);
      reads.add(ZkReads.data(dir + "/" + n));
      boolean locked = withLocks && names.contains(n + LOCK_POSTFIX);
      reads.add(locked ? ZkReads.data(dir + "/" + n + LOCK_POSTFIX) : null);
    }
    List<Read> nonNull = new ArrayList<>();
    for (Read r : reads) {
      if (r != null) {
        nonNull.add(r);
      }
    }
    ZkReads.run(h, nonNull, readTimeoutMs());
    List<Entry> out = new ArrayList<>(jobs.size());
    for (int i = 0; i < jobs.size(); i++) {
      Read node = reads.get(2 * i);
      Read lock = reads.get(2 * i + 1);
      if (!node.found()) {
        continue; // removed meanwhile
      }
      Map<?, ?> posting = parse(node.data);
      if (posting == null || posting.get("uuid") == null) {
        LOG.warn("Skipping job znode {}: it does not hold a job posting", node.path);
        continue;
      }
      Map<?, ?> lockData = null;
      if (lock != null && lock.found()) {
        lockData = parse(lock.data);
        if (lockData == null) {
          lockData = Map.of();
        }
      }
      out.add(new Entry(jobs.get(i), node.stat, node.data, posting, lockData));
    }
    return out;
  }

  /** The jobs of {@code entries} in claiming order. */
  private static List<Job> inClaimingOrder(List<Entry> entries) {
    List<Job> jobs = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      jobs.add(toJob(e, null));
    }
    jobs.sort(Job::compareForClaiming);
    return jobs;
  }

  private Optional<Entry> find(ZooKeeper h, String uuid)
      throws KeeperException, InterruptedException {
    for (Entry e : list(h, jobsPath, true)) {
      if (e.uuid().equals(uuid)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
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
                  Optional<Entry> landed = find(h, uuid); // a lost reply may have been applied
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
                  String kp = keyPath(key);
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
                    if (e.getResults() == null || errorAt(e, 0) != Code.NODEEXISTS) {
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
                  Optional<Entry> existing = find(h, other);
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

  private static Entry entry(String createdPath, Stat stat, byte[] data) {
    String name = createdPath.substring(createdPath.lastIndexOf('/') + 1);
    return new Entry(name, stat, data, parse(data), null);
  }

  private static Code errorAt(KeeperException e, int index) {
    List<OpResult> results = e.getResults();
    if (results == null || index >= results.size()) {
      return e.code();
    }
    return results.get(index) instanceof OpResult.ErrorResult er ? Code.get(er.getErr()) : Code.OK;
  }

  /** The index of the operation that failed a transaction, or -1. */
  private static int failedAt(KeeperException e) {
    List<OpResult> results = e.getResults();
    if (results == null) {
      return -1;
    }
    for (int i = 0; i < results.size(); i++) {
      Code c = errorAt(e, i);
      if (c != Code.OK && c != Code.RUNTIMEINCONSISTENCY) {
        return i;
      }
    }
    return -1;
  }

  private enum Outcome {
    CLAIMED,
    TAKEN,
    STALE,
    GONE
  }

  private record Attempt(Outcome outcome, Job job) {}

  /** One claim transaction on a listed job. */
  private Attempt tryClaim(ZooKeeper h, Entry e, OwnerId owner, boolean[] sent)
      throws KeeperException, InterruptedException {
    String jp = jobsPath + "/" + e.name();
    String lp = jp + LOCK_POSTFIX;
    int v = e.stat().getVersion();
    if (sent[0]) {
      // a lost reply: the claim may have been applied
      Read lock = ZkReads.data(lp);
      ZkReads.run(h, List.of(lock), readTimeoutMs());
      Map<?, ?> ld = lock.found() ? parse(lock.data) : null;
      // the entry may have been read before the claim (version v) or after it (version v + 1)
      if (ld != null
          && owner.id().equals(ld.get("owner"))
          && ld.get("token") instanceof Number n
          && (n.longValue() == v || n.longValue() == v + 1L)) {
        return claimed(e, owner, n.longValue());
      }
    }
    Map<String, Object> lockData = new LinkedHashMap<>();
    lockData.put("owner", owner.id());
    lockData.put("token", v + 1L);
    try {
      sent[0] = true;
      ZkBackend.multi(
          h,
          List.of(
              Op.setData(jp, e.data(), v),
              Op.create(lp, Json.writeBytes(lockData), zk.acl(), CreateMode.EPHEMERAL)));
      sent[0] = false;
    } catch (KeeperException x) {
      if (x.getResults() == null) {
        throw x;
      }
      sent[0] = false;
      int i = failedAt(x);
      Code code = i < 0 ? x.code() : errorAt(x, i);
      if (i == 0 && code == Code.NONODE) {
        return new Attempt(Outcome.GONE, null);
      }
      if (i == 0 && code == Code.BADVERSION) {
        return new Attempt(Outcome.STALE, null);
      }
      if (i == 1 && code == Code.NODEEXISTS) {
        return new Attempt(Outcome.TAKEN, null);
      }
      throw KeeperException.create(code, i == 1 ? lp : jp);
    }
    return claimed(e, owner, v + 1L);
  }

  private Attempt claimed(Entry e, OwnerId owner, long token) {
    Stat s = new Stat();
    s.setVersion((int) token);
    s.setCtime(e.stat().getCtime());
    Map<String, Object> lock = Map.of("owner", owner.id(), "token", token);
    return new Attempt(
        Outcome.CLAIMED, toJob(new Entry(e.name(), s, e.data(), e.posting(), lock), null));
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
                Optional<Entry> e = find(h, jobUuid);
                if (e.isEmpty()) {
                  throw new NotFoundException("Job '" + jobUuid + "' is not on the board");
                }
                if (e.get().lock() != null && !sent[0]) {
                  return new Attempt(Outcome.TAKEN, null);
                }
                Attempt r = tryClaim(h, e.get(), owner, sent);
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
    boolean[] sent = new boolean[1];
    Attempt a =
        zk.run(
            "claiming the next job of " + jobsPath,
            (h, attempt) -> {
              for (int listing = 0; listing < MAX_LISTINGS; listing++) {
                List<Entry> free = freeJobs(h);
                if (free.isEmpty()) {
                  return new Attempt(Outcome.TAKEN, null);
                }
                boolean stale = false;
                boolean spread = false;
                for (int i = 0; i < free.size(); i++) {
                  Entry e = free.get(i);
                  Attempt r = tryClaim(h, e, owner, sent);
                  if (r.outcome() == Outcome.CLAIMED) {
                    return r;
                  }
                  if (r.outcome() != Outcome.TAKEN) {
                    postings.remove(e.name());
                    stale = true;
                  } else if (!spread) {
                    spread = true;
                    spreadOut(free, i + 1);
                  }
                }
                if (!stale) {
                  return new Attempt(Outcome.TAKEN, null);
                }
                // some postings were out of date: list again with fresh ones
              }
              return new Attempt(Outcome.TAKEN, null);
            });
    return a.outcome() == Outcome.CLAIMED ? Optional.of(held(a.job(), owner)) : Optional.empty();
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

  /**
   * The jobs without a lock, in claiming order: one {@code getChildren}, plus the postings not
   * cached yet.
   */
  private List<Entry> freeJobs(ZooKeeper h) throws KeeperException, InterruptedException {
    Read ch = ZkReads.children(jobsPath);
    ZkReads.run(h, List.of(ch), readTimeoutMs());
    if (!ch.found()) {
      return List.of();
    }
    Set<String> names = new HashSet<>(ch.children);
    postings.keySet().retainAll(names);
    List<String> free = new ArrayList<>();
    List<Read> missing = new ArrayList<>();
    for (String n : ch.children) {
      if (!n.startsWith(JOB_PREFIX)
          || n.endsWith(LOCK_POSTFIX)
          || names.contains(n + LOCK_POSTFIX)
          || !n.substring(JOB_PREFIX.length()).chars().allMatch(Character::isDigit)) {
        continue;
      }
      free.add(n);
      if (!postings.containsKey(n)) {
        missing.add(ZkReads.data(jobsPath + "/" + n));
      }
    }
    ZkReads.run(h, missing, readTimeoutMs());
    for (Read r : missing) {
      Map<?, ?> posting = r.found() ? parse(r.data) : null;
      if (posting != null && posting.get("uuid") != null) {
        String n = r.path.substring(jobsPath.length() + 1);
        postings.put(n, new Entry(n, r.stat, r.data, posting, null));
      }
    }
    List<Entry> entries = new ArrayList<>(free.size());
    Map<String, Entry> byUuid = new java.util.HashMap<>();
    for (String n : free) {
      Entry e = postings.get(n);
      if (e != null) {
        entries.add(e);
        byUuid.put(e.uuid(), e);
      }
    }
    List<Entry> out = new ArrayList<>(entries.size());
    for (Job j : inClaimingOrder(entries)) {
      out.add(byUuid.get(j.uuid()));
    }
    return out;
  }

  @Override
  public List<Job> jobs() {
    ensureOpen();
    return inClaimingOrder(
        zk.run("listing the jobs of " + jobsPath, (h, a) -> list(h, jobsPath, true)));
  }

  @Override
  public Optional<Job> job(String jobUuid) {
    Objects.requireNonNull(jobUuid, "jobUuid");
    ensureOpen();
    return zk.run("reading job '" + jobUuid + "'", (h, a) -> find(h, jobUuid))
        .map(e -> toJob(e, null));
  }

  @Override
  public List<Job> trashedJobs() {
    ensureOpen();
    List<Entry> entries =
        zk.run("listing the trash of " + jobsPath, (h, a) -> list(h, trashPath, false));
    List<Job> out = new ArrayList<>();
    for (Entry e : entries) {
      out.add(toJob(e, JobState.TRASHED));
    }
    out.sort(Comparator.comparingLong(Job::sequence));
    return out;
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
          checkLock(h, claim, "renew the claim on");
          return null;
        });
    return now.plus(leaseTime());
  }

  /** Throws FencedException unless the claim's lock is there, this owner's, with its token. */
  private void checkLock(ZooKeeper h, Claim claim, String action)
      throws KeeperException, InterruptedException {
    Map<?, ?> ld = null;
    try {
      ld = parse(h.getData(lockPath(claim.job()), false, null));
    } catch (KeeperException.NoNodeException e) {
      // lost
    }
    if (ld == null
        || !claim.owner().id().equals(ld.get("owner"))
        || !(ld.get("token") instanceof Number n)
        || n.longValue() != claim.token()) {
      throw notHeld(claim, action);
    }
  }

  private static FencedException notHeld(Claim claim, String action) {
    return claimNotHeld(claim, action, "its lock is gone or a peer claimed the job");
  }

  /**
   * Ends a claim with one transaction: a check of the job's version against the token, then {@code
   * ops} (which delete the lock). The lock is read first: a TaskFlow peer claims without changing
   * the version, so the owner is checked too.
   */
  private void endClaim(Claim claim, String action, List<Op> ops) {
    String name = jobName(claim.job());
    ending.add(name);
    boolean done = false;
    try {
      boolean[] sent = new boolean[1];
      zk.run(
          action + " job '" + claim.job().uuid() + "'",
          (h, attempt) -> {
            if (sent[0]) {
              // a lost reply: applied if the lock is gone while the job moved on as planned
              if (h.exists(lockPath(claim.job()), false) == null) {
                return null;
              }
            }
            checkLock(h, claim, action);
            List<Op> all = new ArrayList<>(ops.size() + 1);
            all.add(Op.check(jobPath(claim.job()), (int) claim.token()));
            all.addAll(ops);
            try {
              sent[0] = true;
              ZkBackend.multi(h, all);
              sent[0] = false;
            } catch (KeeperException x) {
              if (x.getResults() == null) {
                throw x;
              }
              sent[0] = false;
              int i = failedAt(x);
              Code code = i < 0 ? x.code() : errorAt(x, i);
              if (code == Code.BADVERSION || code == Code.NONODE) {
                throw notHeld(claim, action);
              }
              throw x;
            }
            return null;
          });
      done = true;
    } finally {
      if (!done) {
        ending.remove(name);
      }
    }
  }

  private void keyDeletion(ZooKeeper h, Job job, List<Op> ops)
      throws KeeperException, InterruptedException {
    if (job.idempotencyKey() == null) {
      return;
    }
    String kp = keyPath(job.idempotencyKey());
    Stat s = h.exists(kp, false);
    if (s != null
        && job.uuid().equals(new String(h.getData(kp, false, null), StandardCharsets.UTF_8))) {
      ops.add(Op.delete(kp, -1));
    }
  }

  @Override
  protected void completeJob(Claim claim) {
    List<Op> ops = new ArrayList<>();
    ops.add(Op.delete(lockPath(claim.job()), -1));
    ops.add(Op.delete(jobPath(claim.job()), -1));
    addKeyDeletion(claim, ops);
    endClaim(claim, "complete", ops);
  }

  private void addKeyDeletion(Claim claim, List<Op> ops) {
    zk.run(
        "reading the idempotency key of job '" + claim.job().uuid() + "'",
        (h, a) -> {
          keyDeletion(h, claim.job(), ops);
          return null;
        });
  }

  @Override
  protected void releaseJob(Claim claim, String failure) {
    List<Op> ops = new ArrayList<>();
    if (failure != null) {
      Entry e =
          zk.run("reading job '" + claim.job().uuid() + "'", (h, a) -> find(h, claim.job().uuid()))
              .orElseThrow(() -> notHeld(claim, "release"));
      Map<String, Object> posting = new LinkedHashMap<>();
      e.posting().forEach((k, v) -> posting.put(String.valueOf(k), v));
      int failures = posting.get(FAILURES) instanceof Number n ? n.intValue() : 0;
      posting.put(FAILURES, failures + 1);
      posting.put("last_failure", failure);
      // bumps the version: fine, the claim ends with it
      ops.add(Op.setData(jobPath(claim.job()), Json.writeBytes(posting), (int) claim.token()));
    }
    ops.add(Op.delete(lockPath(claim.job()), -1));
    endClaim(claim, "release", ops);
  }

  @Override
  protected void trashJob(Claim claim, String reason) {
    Entry e =
        zk.run("reading job '" + claim.job().uuid() + "'", (h, a) -> find(h, claim.job().uuid()))
            .orElseThrow(() -> notHeld(claim, "trash"));
    Map<String, Object> posting = new LinkedHashMap<>();
    e.posting().forEach((k, v) -> posting.put(String.valueOf(k), v));
    posting.put("trash_reason", reason);
    List<Op> ops = new ArrayList<>();
    ops.add(
        Op.create(
            trashPath + "/" + jobName(claim.job()),
            Json.writeBytes(posting),
            zk.acl(),
            CreateMode.PERSISTENT));
    ops.add(Op.delete(lockPath(claim.job()), -1));
    ops.add(Op.delete(jobPath(claim.job()), -1));
    addKeyDeletion(claim, ops);
    endClaim(claim, "trash", ops);
  }

  // ---- conductors ---------------------------------------------------------------------------

  @Override
  public Subscription register(OwnerId conductor, Map<String, Object> meta) {
    Objects.requireNonNull(conductor, "conductor");
    ensureOpen();
    Map<String, Object> metadata = new LinkedHashMap<>();
    if (meta != null) {
      metadata.putAll(meta);
    }
    metadata.put("hostname", HostIdentity.hostName());
    metadata.put("pid", HostIdentity.pid());
    metadata.put("conductor_name", conductor.name());
    metadata.put("since", clock().millis());
    Map<String, Object> entity = new LinkedHashMap<>();
    entity.put("kind", "conductor");
    entity.put("name", conductor.id());
    entity.put("metadata", Json.normalize(metadata));
    byte[] data = Json.writeBytes(entity);
    String path = conductorsPath + "/" + segment(conductor.id());
    zk.run(
        "registering conductor " + conductor.id(),
        (h, a) -> {
          createEphemeral(h, path, data);
          return null;
        });
    registrations.put(path, data);
    return () -> {
      registrations.remove(path);
      if (isClosed()) {
        return; // the closed session took the registration with it
      }
      zk.run(
          "unregistering conductor " + conductor.id(),
          (h, a) -> {
            try {
              h.delete(path, -1);
            } catch (KeeperException.NoNodeException gone) {
              // already gone
            }
            return null;
          });
    };
  }

  private void createEphemeral(ZooKeeper h, String path, byte[] data)
      throws KeeperException, InterruptedException {
    try {
      h.create(path, data, zk.acl(), CreateMode.EPHEMERAL);
    } catch (KeeperException.NodeExistsException e) {
      h.setData(path, data, -1);
    }
  }

  private void restoreRegistrations() {
    for (Map.Entry<String, byte[]> r : registrations.entrySet()) {
      zk.run(
          "re-registering " + r.getKey(),
          (h, a) -> {
            createEphemeral(h, r.getKey(), r.getValue());
            return null;
          });
    }
  }

  @Override
  public List<ConductorInfo> conductors() {
    ensureOpen();
    return zk.run(
        "listing the conductors of " + jobsPath,
        (h, attempt) -> {
          Read ch = ZkReads.children(conductorsPath);
          ZkReads.run(h, List.of(ch), readTimeoutMs());
          if (!ch.found()) {
            return List.of();
          }
          List<Read> reads = new ArrayList<>();
          for (String c : ch.children) {
            reads.add(ZkReads.data(conductorsPath + "/" + c));
          }
          ZkReads.run(h, reads, readTimeoutMs());
          List<ConductorInfo> out = new ArrayList<>();
          for (Read r : reads) {
            if (r.found()) {
              out.add(conductor(r));
            }
          }
          out.sort(Comparator.comparing(ConductorInfo::since));
          return out;
        });
  }

  private static ConductorInfo conductor(Read r) {
    String fallback =
        URLDecoder.decode(r.path.substring(r.path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
    Map<?, ?> m = parse(r.data);
    Map<String, Object> meta = new LinkedHashMap<>();
    if (m != null && m.get("metadata") instanceof Map<?, ?> md) {
      md.forEach((k, v) -> meta.put(String.valueOf(k), v));
    }
    String id = m != null && m.get("name") != null ? String.valueOf(m.get("name")) : fallback;
    Object name = meta.remove("conductor_name");
    Object host = meta.remove("hostname");
    Object pid = meta.remove("pid");
    meta.remove("since");
    @SuppressWarnings("unchecked")
    Map<String, Object> normalized = (Map<String, Object>) Json.normalize(meta);
    return new ConductorInfo(
        id,
        name == null ? id : String.valueOf(name),
        host == null ? null : String.valueOf(host),
        pid instanceof Number n ? n.longValue() : -1,
        Instant.ofEpochMilli(r.stat.getCtime()),
        normalized);
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
