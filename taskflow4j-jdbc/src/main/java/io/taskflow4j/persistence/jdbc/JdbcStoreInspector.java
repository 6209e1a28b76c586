package io.taskflow4j.persistence.jdbc;

import io.taskflow4j.persistence.Backend;
import io.taskflow4j.verify.Problem;
import io.taskflow4j.verify.RawStoreInspector;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw checks of a SQL store for {@link io.taskflow4j.verify.StoreVerifier}: flow detail rows
 * whose {@code parent_uuid} names no logbook row, and atom detail rows whose {@code parent_uuid}
 * names no flow detail row (orphans, which the foreign keys forbid but a store written with them
 * off, such as a SQLite file TaskFlow wrote, can hold). Reads only, and only TaskFlow's columns: a
 * store TaskFlow made is inspected without being upgraded.
 */
public final class JdbcStoreInspector implements RawStoreInspector {
  private static final String ORPHAN_FLOWS =
      "SELECT f.uuid, f.parent_uuid FROM flowdetails f LEFT JOIN logbooks b"
          + " ON f.parent_uuid = b.uuid WHERE b.uuid IS NULL";
  private static final String ORPHAN_ATOMS =
      "SELECT a.uuid, a.parent_uuid FROM atomdetails a LEFT JOIN flowdetails f"
          + " ON a.parent_uuid = f.uuid WHERE f.uuid IS NULL";

  /** Made by {@link java.util.ServiceLoader}. */
  public JdbcStoreInspector() {}

  @Override
  public boolean supports(Backend backend) {
    return backend instanceof JdbcBackend;
  }

  @Override
  public List<Problem> inspect(Backend backend) {
    JdbcBackend b = (JdbcBackend) backend;
    // Only TaskFlow's own columns are read, so a store taskflow4j has not upgraded is inspected
    // as it is; one with no tables says so instead of failing on SQL.
    b.readableLayout("the rows of the store");
    return b.run(
        "looking for orphan rows",
        false,
        c -> {
          List<Problem> out = new ArrayList<>();
          orphans(c, ORPHAN_FLOWS, "flow detail", "logbook", out);
          orphans(c, ORPHAN_ATOMS, "atom detail", "flow detail", out);
          return out;
        });
  }

  private static void orphans(
      java.sql.Connection c, String sql, String kind, String parentKind, List<Problem> out)
      throws java.sql.SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Problem(
                Problem.Kind.ORPHAN,
                kind + " " + rs.getString(1),
                "its parent_uuid names "
                    + parentKind
                    + " '"
                    + rs.getString(2)
                    + "', which does not exist, so it can never be read"));
      }
    }
  }
}
