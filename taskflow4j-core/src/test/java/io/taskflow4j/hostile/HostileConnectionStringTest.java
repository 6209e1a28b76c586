package io.taskflow4j.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.taskflow4j.persistence.BackendNotFoundException;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.InvalidConfigurationException;
import io.taskflow4j.persistence.TaskFlowException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed connection strings, unknown schemes and wrong configuration types: each is refused with
 * a typed exception whose message names what is wrong, never with a raw runtime exception, and
 * never echoes a password. (More parsing cases: {@code BackendConfTest}, {@code BackendsTest}.)
 */
class HostileConnectionStringTest {

  static Stream<Arguments> strings() {
    return Stream.of(
        Arguments.of("", InvalidConfigurationException.class, "'connection' is empty"),
        Arguments.of("   ", InvalidConfigurationException.class, "'connection' is empty"),
        Arguments.of(
            "nosuchscheme://x", BackendNotFoundException.class, "backend for 'nosuchscheme'"),
        Arguments.of("http://example.com/flows", BackendNotFoundException.class, "'http'"),
        Arguments.of("://nohost", BackendNotFoundException.class, "known backends"),
        Arguments.of(
            "/var/lib/flows", BackendNotFoundException.class, "write dir:///var/lib/flows"),
        Arguments.of("var/lib/flows", BackendNotFoundException.class, "absolute path"),
        Arguments.of("dir://", InvalidConfigurationException.class, "needs a 'path'"),
        Arguments.of("dir://remotehost/path", InvalidConfigurationException.class, "takes no host"),
        Arguments.of(
            "dir:///srv/f?durability=maybe", InvalidConfigurationException.class, "'durability'"),
        Arguments.of(
            "dir:///srv/f?permissions=world", InvalidConfigurationException.class, "'permissions'"),
        Arguments.of(
            "dir:///srv/f?max_cache_size=-1", InvalidConfigurationException.class, "between 1"),
        Arguments.of(
            "dir:///srv/f?max_cache_size=lots",
            InvalidConfigurationException.class,
            "whole number"),
        Arguments.of("dir:///srv/f?encoding=latin-1", InvalidConfigurationException.class, "utf-8"),
        Arguments.of(
            "dir:///srv/f?sweep_on_upgrade=perhaps",
            InvalidConfigurationException.class,
            "true or false"),
        Arguments.of("dir:///srv/%zz", InvalidConfigurationException.class, "percent-encoding"),
        Arguments.of("dir:///srv/a\u0000b", InvalidConfigurationException.class, "NUL"),
        Arguments.of(
            "memory://user:s3cret@h/x?%", InvalidConfigurationException.class, "percent-encoding"),
        Arguments.of(
            "zookeeper://u:s3cret@h:99999/x", InvalidConfigurationException.class, "65535"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("strings")
  void aHostileConnectionStringIsRefusedWithATypedError(
      String connection, Class<? extends TaskFlowException> type, String says) {
    assertThatThrownBy(() -> Backends.fetch(connection).close())
        .isInstanceOf(type)
        .hasMessageContaining(says)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
  }

  static Stream<Arguments> maps() {
    return Stream.of(
        Arguments.of(Map.of(), "no 'connection' key"),
        Arguments.of(Map.of("connection", 42), "must be a string, not Integer"),
        Arguments.of(
            Map.of("connection", "dir", "path", "/srv/f", "durability", List.of("power")),
            "'durability' must be one of"),
        Arguments.of(
            Map.of("connection", "dir", "path", "/srv/f", "max_cache_size", true), "whole number"),
        Arguments.of(
            Map.of("connection", "dir", "path", "/srv/f", "permissions", Map.of("a", 1)),
            "'permissions' must be one of"),
        // found by the campaign: a list was taken as the path "[/srv/f]"
        Arguments.of(
            Map.of("connection", "dir", "path", List.of("/srv/f")), "'path' must be a string"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("maps")
  void aConfigurationOfTheWrongTypesIsRefusedWithATypedError(Map<String, ?> conf, String says) {
    assertThatThrownBy(() -> Backends.fetch(conf).close())
        .isInstanceOf(InvalidConfigurationException.class)
        .hasMessageContaining(says);
  }
}
