package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkPostings.JOB_PREFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.LOCK_POSTFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.jobName;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.parse;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.segment;

import io.taskflow4j.jobs.Job;
import io.taskflow4j.persistence.zookeeper.ZkPostings.Entry;
import io.taskflow4j.persistence.zookeeper.ZkReads.Read;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a {@link ZkJobboard}'s znodes are, and the reading of its jobs: all of a directory, one job
 * by uuid, or the unclaimed ones to claim from.
 */
final class ZkJobReads {
  // The board's log category, which users already configure, whichever file logs.
  private static final Logger LOG = LoggerFactory.getLogger(ZkJobboard.class);

  private final ZkBackend zk;
  final String jobsPath;
  final String trashPath;
  final String conductorsPath;
  final String keysPath;

  /**
   * Postings of unclaimed jobs last read (job znode name → entry without lock), dropped when the
   * watch sees the znode change: {@link #freeJobs} reads only the postings it lacks. A stale
   * version fails the claim's version check, so the cache is never trusted blindly.
   */
  private final Map<String, Posted> postings = new ConcurrentHashMap<>();

  /** A cached posting with its job as posted, whose priority and sequence order the claims. */
  private record Posted(Entry entry, Job job) {}

  ZkJobReads(ZkBackend zk, String jobsPath) {
    this.zk = zk;
    this.jobsPath = jobsPath;
    String parent = jobsPath.substring(0, jobsPath.lastIndexOf('/'));
    this.trashPath = parent + "/.trash";
    this.conductorsPath = parent + "/.entities/conductor";
    this.keysPath = parent + "/.keys";
  }

  /** Drops the cached posting of a job znode (changed, deleted, or found stale). */
  void forget(String name) {
    postings.remove(name);
  }

  String jobPath(Job job) {
    return jobsPath + "/" + jobName(job);
  }

  String lockPath(Job job) {
    return jobPath(job) + LOCK_POSTFIX;
  }

  String keyPath(String key) {
    return keysPath + "/" + segment(key);
  }

  long readTimeoutMs() {
    return 2L * zk.settings().sessionTimeoutMs() + zk.settings().connectionTimeoutMs();
  }

  /** Every job znode of {@code dir} with its posting (and lock, for the jobs directory). */
  List<Entry> list(ZooKeeper h, String dir, boolean withLocks)
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

  Optional<Entry> find(ZooKeeper h, String uuid) throws KeeperException, InterruptedException {
    for (Entry e : list(h, jobsPath, true)) {
      if (e.uuid().equals(uuid)) {
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** Listings of the free jobs made by {@link #freeJobs} (what a claimer's work scales with). */
  private final java.util.concurrent.atomic.LongAdder listings =
      new java.util.concurrent.atomic.LongAdder();

  /** How many times {@link #freeJobs} listed the board. */
  long listings() {
    return listings.sum();
  }

  /**
   * The jobs without a lock, in claiming order: one {@code getChildren}, plus the postings not
   * cached yet. A claimer lists the board for each claim, so the work per listed job is kept to a
   * lookup: a cached posting keeps the job it describes, and only the free jobs are ordered.
   */
  List<Entry> freeJobs(ZooKeeper h) throws KeeperException, InterruptedException {
    listings.increment();
    Read ch = ZkReads.children(jobsPath);
    ZkReads.run(h, List.of(ch), readTimeoutMs());
    if (!ch.found()) {
      return List.of();
    }
    Set<String> locked = new HashSet<>();
    for (String n : ch.children) {
      if (n.endsWith(LOCK_POSTFIX)) {
        locked.add(n.substring(0, n.length() - LOCK_POSTFIX.length()));
      }
    }
    if (postings.size() > 2 * (ch.children.size() - locked.size()) + 64) {
      // forget the postings of jobs that are gone, once they outnumber the jobs left
      postings.keySet().retainAll(new HashSet<>(ch.children));
    }
    List<Posted> free = new ArrayList<>();
    List<Read> missing = new ArrayList<>();
    for (String n : ch.children) {
      if (locked.contains(n) || n.endsWith(LOCK_POSTFIX)) {
        continue;
      }
      Posted cached = postings.get(n);
      if (cached != null) {
        free.add(cached);
      } else if (isJobName(n)) {
        missing.add(ZkReads.data(jobsPath + "/" + n));
      }
    }
    ZkReads.run(h, missing, readTimeoutMs());
    for (Read r : missing) {
      Map<?, ?> posting = r.found() ? parse(r.data) : null;
      if (posting != null && posting.get("uuid") != null) {
        String n = r.path.substring(jobsPath.length() + 1);
        Entry e = new Entry(n, r.stat, r.data, posting, null);
        Posted p = new Posted(e, ZkPostings.toJob(e, null));
        postings.put(n, p);
        free.add(p);
      }
    }
    free.sort((a, b) -> Job.compareForClaiming(a.job(), b.job()));
    List<Entry> out = new ArrayList<>(free.size());
    for (Posted p : free) {
      out.add(p.entry());
    }
    return out;
  }

  /** Whether {@code n} is a job znode's name: {@code job} and digits. */
  private static boolean isJobName(String n) {
    if (!n.startsWith(JOB_PREFIX) || n.length() == JOB_PREFIX.length()) {
      return false;
    }
    for (int i = JOB_PREFIX.length(); i < n.length(); i++) {
      char c = n.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
