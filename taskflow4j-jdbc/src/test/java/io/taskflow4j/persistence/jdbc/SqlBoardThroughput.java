package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.jobs.Claim;
import io.taskflow4j.jobs.JobSpec;
import io.taskflow4j.jobs.Jobboard;
import io.taskflow4j.jobs.Jobboards;
import io.taskflow4j.jobs.OwnerId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Bare SQL board throughput on PostgreSQL: jobs per second through {@code claimNext} + {@code
 * complete} (two commits per job), and through the batched {@code claimNext(owner, batch)} + {@code
 * completeAll} (two commits per batch), with 1 claimer and with 8 (each on its own board, as 8
 * conductors would be). Run with the test class path; arguments: jobs per round (default 4000), the
 * batch size (default 32) and optionally {@code process} for synchronous_commit=off. Prints jobs/s.
 */
public final class SqlBoardThroughput {
  private SqlBoardThroughput() {}

  public static void main(String[] args) throws Exception {
    int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 4000;
    int batch = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    String db = TestDatabases.createPostgres();
    try {
      // A third argument "process" relaxes commits (synchronous_commit=off): CPU cost only.
      String url =
          TestDatabases.postgresUrl(db)
              + "?lease=30"
              + (args.length > 2 ? "&durability=" + args[2] : "");
      for (int round = 0; round < 2; round++) {
        for (int size : new int[] {1, batch}) {
          for (int threads : new int[] {1, 8}) {
            try (Jobboard poster = Jobboards.open(url)) {
              for (int i = 0; i < jobs; i++) {
                poster.post(JobSpec.of("j" + i, null, "f" + i));
              }
            }
            System.out.printf(
                "%s, %d thread(s): %.0f jobs/s%n",
                size == 1
                    ? "claimNext+complete"
                    : "claimNext(" + size + ")+completeAll (SKIP LOCKED batches)",
                threads,
                drain(url, threads, jobs, size));
          }
        }
      }
    } finally {
      TestDatabases.dropPostgres(db);
    }
  }

  private static double drain(String url, int threads, int jobs, int batch) throws Exception {
    List<Jobboard> boards = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Integer>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Jobboard b = Jobboards.open(url);
        boards.add(b);
        OwnerId me = OwnerId.generate("bench-" + t);
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  int n = 0;
                  if (batch == 1) {
                    for (Optional<Claim> c = b.claimNext(me); c.isPresent(); c = b.claimNext(me)) {
                      c.get().complete();
                      n++;
                    }
                    return n;
                  }
                  for (List<Claim> c = b.claimNext(me, batch);
                      !c.isEmpty();
                      c = b.claimNext(me, batch)) {
                    if (!b.completeAll(c).isEmpty()) {
                      throw new IllegalStateException("a claim was lost");
                    }
                    n += c.size();
                  }
                  return n;
                }));
      }
      long t0 = System.nanoTime();
      start.countDown();
      int total = 0;
      for (Future<Integer> f : done) {
        total += f.get(10, TimeUnit.MINUTES);
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      if (total != jobs) {
        throw new IllegalStateException("drained " + total + " of " + jobs + " jobs");
      }
      return total / secs;
    } finally {
      pool.shutdownNow();
      boards.forEach(Jobboard::close);
    }
  }
}
