package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.persistence.Backends;
import io.taskflow4j.persistence.Connection;

/**
 * A process that upgrades one store and exits: the tests kill it half-way to see what a killed
 * upgrade leaves behind. Argument: the connection string.
 */
public final class UpgradeProcess {
  private UpgradeProcess() {}

  public static void main(String[] args) {
    try (Backend b = Backends.fetch(args[0]);
        Connection c = b.getConnection()) {
      c.upgrade();
    }
  }
}
