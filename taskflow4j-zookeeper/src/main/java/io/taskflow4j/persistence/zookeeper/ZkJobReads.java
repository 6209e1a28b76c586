package io.taskflow4j.persistence.zookeeper;

import static io.taskflow4j.persistence.zookeeper.ZkPostings.JOB_PREFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.LOCK_POSTFIX;
import static io.taskflow4j.persistence.zookeeper.ZkPostings.inClaimingOrder;
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
  private final Map<String, Entry> postings = new ConcurrentHashMap<>();

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

  /**
   * The jobs without a lock, in claiming order: one {@code getChildren}, plus the postings not
   * cached yet.
   */
  List<Entry> freeJobs(ZooKeeper h) throws KeeperException, InterruptedException {
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
}
