package io.taskflow4j.tck;

import static io.taskflow4j.tck.Fixtures.book;
import static io.taskflow4j.tck.Fixtures.flow;

import io.taskflow4j.persistence.AtomDetail;
import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Connection;
import io.taskflow4j.persistence.LogBook;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * What the groups of contract cases share: the backend and connection under test, supplied by
 * {@link BackendContractTest} when it mounts a group, and the steps many cases begin with.
 */
abstract class ContractCases {

  /** The backend under test (open, upgraded, empty when the case starts). */
  protected abstract Backend backend();

  /** A connection of {@link #backend()}, upgraded. */
  protected abstract Connection conn();

  /** Saves a book holding one flow holding these atoms; returns the book as written. */
  LogBook saveOneFlow(AtomDetail... atoms) {
    return conn().saveLogBook(book("book", flow("flow", atoms)));
  }

  /** Runs {@code body} with a second connection of the backend, closing it afterwards. */
  <T> T withOtherConnection(Function<Connection, T> body) {
    try (Connection other = backend().getConnection()) {
      return body.apply(other);
    }
  }

  /** Runs every callable on its own thread, all released at once; returns their results. */
  static <T> List<T> runConcurrently(List<Callable<T>> jobs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(jobs.size());
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> job : jobs) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return job.call();
                }));
      }
      start.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(2, TimeUnit.MINUTES));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
