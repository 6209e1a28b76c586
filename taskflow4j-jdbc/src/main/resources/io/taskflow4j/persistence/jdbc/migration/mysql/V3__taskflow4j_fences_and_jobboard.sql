-- taskflow4j's jobboard and fencing tables; TaskFlow's own tables are untouched, so TaskFlow still
-- reads the store. Times a lease is judged by (lease_until, heartbeat) come from the database's
-- clock (NOW(6)); the others are naive UTC like TaskFlow's. Every table is created only if
-- absent: MySQL/MariaDB commit each statement on its own, and an upgrade stopped half-way is
-- finished by running this again.

-- The highest fencing token per claimed job: a fenced write commits only while its token is it.
CREATE TABLE IF NOT EXISTS taskflow4j_fences (
  fence_key VARCHAR(255) NOT NULL PRIMARY KEY,
  token BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS taskflow4j_jobs (
  uuid VARCHAR(64) NOT NULL PRIMARY KEY,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  book_name VARCHAR(255) NULL,
  book_uuid VARCHAR(64) NULL,
  details LONGTEXT NOT NULL,
  priority INT NOT NULL,
  seq BIGINT NOT NULL AUTO_INCREMENT,
  created_on DATETIME(6) NOT NULL,
  owner VARCHAR(255) NULL,
  epoch BIGINT NOT NULL DEFAULT 0,
  lease_until DATETIME(6) NULL,
  failures INT NOT NULL DEFAULT 0,
  idempotency_key VARCHAR(255) NULL,
  UNIQUE KEY taskflow4j_jobs_seq_idx (seq),
  UNIQUE KEY taskflow4j_jobs_idempotency_key (board, idempotency_key),
  KEY taskflow4j_jobs_claim_idx (board, priority, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS taskflow4j_jobs_trash (
  uuid VARCHAR(64) NOT NULL PRIMARY KEY,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  book_name VARCHAR(255) NULL,
  book_uuid VARCHAR(64) NULL,
  details LONGTEXT NOT NULL,
  priority INT NOT NULL,
  seq BIGINT NOT NULL,
  created_on DATETIME(6) NOT NULL,
  owner VARCHAR(255) NULL,
  epoch BIGINT NOT NULL,
  lease_until DATETIME(6) NULL,
  failures INT NOT NULL,
  idempotency_key VARCHAR(255) NULL,
  reason LONGTEXT NOT NULL,
  trashed_on DATETIME(6) NOT NULL,
  KEY taskflow4j_jobs_trash_board_idx (board, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS taskflow4j_conductors (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  host VARCHAR(255) NOT NULL,
  pid BIGINT NOT NULL,
  since DATETIME(6) NOT NULL,
  heartbeat DATETIME(6) NOT NULL,
  meta LONGTEXT NOT NULL,
  KEY taskflow4j_conductors_board_idx (board, heartbeat)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
