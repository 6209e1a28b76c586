package io.taskflow4j.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.FlowDetail;
import io.taskflow4j.persistence.FlowState;
import io.taskflow4j.persistence.LogBook;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flows API over a store of 100,000 flows; run by hand: -Dgroups=scale. */
@Tag("scale")
class ScaleTest {
  @TempDir Path dir;

  @Test
  void theFlowsPageOfAStoreOf100000FlowsAnswersQuickly() throws Exception {
    try (Backend backend = Backends.fetch("sqlite:///" + dir.resolve("big.db"))) {
      backend.getConnection().upgrade();
      long t0 = System.nanoTime();
      for (int b = 0; b < 100; b++) {
        LogBook book = LogBook.create("book-" + b);
        List<FlowDetail> flows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          flows.add(
              FlowDetail.create("flow-" + (i % 7))
                  .withState(i % 10 == 0 ? FlowState.FAILURE : FlowState.SUCCESS));
        }
        backend.getConnection().saveLogBook(book.withFlows(flows));
      }
      System.out.printf("filled 100,000 flows in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      try (Dashboard d = Dashboard.builder().backend(backend).port(0).start()) {
        HttpClient http = HttpClient.newHttpClient();
        for (String q :
            List.of(
                "api/flows",
                "api/flows?state=FAILURE",
                "api/flows?name=flow-3&limit=100",
                "api/flows?since=1h",
                "api/overview")) {
          long best = Long.MAX_VALUE;
          for (int i = 0; i < 5; i++) {
            long s = System.nanoTime();
            HttpResponse<String> r =
                http.send(
                    HttpRequest.newBuilder(URI.create(d.url() + q)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            best = Math.min(best, System.nanoTime() - s);
          }
          System.out.printf("%s: best of 5 %d ms%n", q, best / 1_000_000);
          if (q.startsWith("api/flows")) {
            assertThat(best / 1_000_000).as(q).isLessThanOrEqualTo(300);
          }
        }
      }
    }
  }
}
