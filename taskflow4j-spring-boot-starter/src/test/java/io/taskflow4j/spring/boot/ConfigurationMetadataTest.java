package io.taskflow4j.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every property has metadata with a description, so IDEs complete and explain it. */
class ConfigurationMetadataTest {
  static final List<String> PROPERTIES =
      List.of(
          "taskflow4j.enabled",
          "taskflow4j.connection",
          "taskflow4j.board",
          "taskflow4j.initialize-schema",
          "taskflow4j.options",
          "taskflow4j.conductor.enabled",
          "taskflow4j.conductor.name",
          "taskflow4j.conductor.max-concurrent-jobs",
          "taskflow4j.conductor.lease",
          "taskflow4j.conductor.max-failures",
          "taskflow4j.conductor.shutdown-grace",
          "taskflow4j.retention.max-age",
          "taskflow4j.retention.prune-every",
          "taskflow4j.retention.policy",
          "taskflow4j.metrics.enabled",
          "taskflow4j.metrics.atom-histograms",
          "taskflow4j.dashboard.enabled",
          "taskflow4j.dashboard.port",
          "taskflow4j.dashboard.bind",
          "taskflow4j.dashboard.token-file",
          "taskflow4j.dashboard.allow-actions",
          "management.health.taskflow4j.enabled");

  @Test
  void theMetadataListsEveryPropertyWithADescription() throws Exception {
    List<JsonNode> props = new ArrayList<>();
    for (URL url :
        Collections.list(
            getClass()
                .getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
      try (InputStream in = url.openStream()) {
        JsonNode root = new ObjectMapper().readTree(in);
        for (JsonNode p : root.path("properties")) {
          if (p.path("name").asText().startsWith("taskflow4j.")
              || p.path("name").asText().equals("management.health.taskflow4j.enabled")) {
            props.add(p);
          }
        }
      }
    }
    TreeSet<String> names = new TreeSet<>();
    for (JsonNode p : props) {
      names.add(p.path("name").asText());
      assertThat(p.path("description").asText()).as(p.path("name").asText()).isNotBlank();
    }
    assertThat(names).containsExactlyInAnyOrderElementsOf(PROPERTIES);
  }
}
