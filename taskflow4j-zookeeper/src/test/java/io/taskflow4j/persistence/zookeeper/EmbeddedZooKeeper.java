package io.taskflow4j.persistence.zookeeper;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * An embedded ZooKeeper server (Curator's {@code TestingServer}: the real server code, in this JVM,
 * on a free loopback port), started for a test and closed after it. On a {@code static} field it
 * lives for the class, on an instance field or a test-method parameter for one test. The element is
 * a {@code String} (the connect string, {@code host:port}) or the {@code TestingServer} itself, for
 * tests that stop or restart it; elements of one scope with the same {@link #tickMs()} share one
 * server.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.FIELD, ElementType.PARAMETER})
@ExtendWith(ZooKeeperExtension.class)
public @interface EmbeddedZooKeeper {
  /**
   * The server's tick in milliseconds, or 0 for ZooKeeper's default. The server grants session
   * timeouts from 2 to 20 ticks, so a short tick lets tests use short leases.
   */
  int tickMs() default 0;
}
