package io.taskflow4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SQLite store the command made holds the flows' data (customer addresses, order amounts): like a
 * directory store, it is its owner's alone, so another user of the machine cannot export it.
 */
class SqliteFileModeIT {
  @TempDir Path dir;

  @Test
  void anotherUserCannotExportAStoreTheCommandMade() throws Exception {
    // Runs in CI, which runs as root. A non-root user cannot become another user, and as the
    // file's owner file modes do not stop it: then there is nothing to observe, and it skips.
    Assumptions.assumeTrue(
        Jar.runningAsRoot(dir),
        "needs root, to run the command as another user (setpriv); file modes do not stop the"
            + " owner");
    // The directory is open to all, as a working directory often is; only the file is not.
    Snapshots.chmod(dir, "rwxr-xr-x", "rw-r--r--");
    Path store = dir.resolve("orders.db");
    String connection = Cli.sqlite(store);
    Jar.run(dir, "demo", "--connection", connection, "--delay", "0").expect(ExitCodes.OK);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
        .isEqualTo("rw-------");

    Cli.Result export = Jar.runAsAnotherUser(dir, "export", "--connection", connection);
    export.expect(ExitCodes.STORE);
    assertThat(export.out()).isEmpty();
    assertThat(export.errLines()).hasSize(1);
    assertThat(export.err()).contains("this user may not read " + store);
  }
}
