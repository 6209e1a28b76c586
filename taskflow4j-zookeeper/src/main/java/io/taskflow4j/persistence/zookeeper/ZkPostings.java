package io.taskflow4j.persistence.zookeeper;

import io.taskflow4j.jobs.BookRef;
import io.taskflow4j.jobs.Job;
import io.taskflow4j.jobs.JobPriority;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.persistence.JobState;
import io.taskflow4j.persistence.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.zookeeper.data.Stat;

/**
 * The job znodes of a {@link ZkJobboard} in TaskFlow's layout: their names, the JSON posting a job
 * znode holds, and the reading of a znode (with its lock) back as a job.
 */
final class ZkPostings {
  static final String JOB_PREFIX = "job";
  static final String LOCK_POSTFIX = ".lock";
  static final String FAILURES = "failures";
  static final String KEY = "idempotency_key";

  private ZkPostings() {}

  /** The name of a job's znode: the prefix and its ten-digit sequence number. */
  static String jobName(Job job) {
    return String.format("%s%010d", JOB_PREFIX, job.sequence());
  }

  /** A key or id as one znode name: URL-encoded, with the names ZooKeeper refuses escaped. */
  static String segment(String s) {
    String e = URLEncoder.encode(s, StandardCharsets.UTF_8);
    return e.equals(".") || e.equals("..") ? e.replace(".", "%2E") : e;
  }

  /** The JSON object a znode holds, or {@code null} when it holds none. */
  static Map<?, ?> parse(byte[] data) {
    try {
      Object v = Json.read(data == null ? new byte[0] : data);
      return v instanceof Map<?, ?> m ? m : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The posting of a new job, in TaskFlow's fields plus the idempotency key. */
  static byte[] posting(String uuid, JobSpec spec) {
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
  record Entry(String name, Stat stat, byte[] data, Map<?, ?> posting, Map<?, ?> lock) {
    long sequence() {
      return Long.parseLong(name.substring(JOB_PREFIX.length()));
    }

    String uuid() {
      return String.valueOf(posting.get("uuid"));
    }
  }

  /**
   * The job of an entry: with {@code state} null as it stands on the board (claimed, with its owner
   * and token, while locked), else in that state without an owner.
   */
  @SuppressWarnings("unchecked")
  static Job toJob(Entry e, JobState state) {
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

  /** The jobs of {@code entries} in claiming order. */
  static List<Job> inClaimingOrder(List<Entry> entries) {
    List<Job> jobs = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      jobs.add(toJob(e, null));
    }
    jobs.sort(Job::compareForClaiming);
    return jobs;
  }

  /** The entry of a job znode just created (so without a lock). */
  static Entry entry(String createdPath, Stat stat, byte[] data) {
    String name = createdPath.substring(createdPath.lastIndexOf('/') + 1);
    return new Entry(name, stat, data, parse(data), null);
  }
}
