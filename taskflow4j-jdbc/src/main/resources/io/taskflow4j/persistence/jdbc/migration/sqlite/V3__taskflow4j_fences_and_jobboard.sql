-- taskflow4j's jobboard and fencing tables; TaskFlow's own tables are untouched, so TaskFlow still
-- reads the store. Times a lease is judged by (lease_until, heartbeat) are milliseconds since the
-- epoch from the database's clock; the others are naive UTC text like TaskFlow's. seq is the
-- AUTOINCREMENT key, so it never repeats, even after the newest job is removed.

-- The highest fencing token per claimed job: a fenced write commits only while its token is it.
CREATE TABLE taskflow4j_fences (
  fence_key VARCHAR(255) NOT NULL PRIMARY KEY,
  token BIGINT NOT NULL
);

CREATE TABLE taskflow4j_jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  uuid VARCHAR(64) NOT NULL UNIQUE,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  book_name VARCHAR(255),
  book_uuid VARCHAR(64),
  details TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created_on VARCHAR(32) NOT NULL,
  owner VARCHAR(255),
  epoch BIGINT NOT NULL DEFAULT 0,
  lease_until BIGINT,
  failures INTEGER NOT NULL DEFAULT 0,
  idempotency_key VARCHAR(255),
  UNIQUE (board, idempotency_key)
);
CREATE INDEX taskflow4j_jobs_claim_idx ON taskflow4j_jobs (board, priority, seq);

CREATE TABLE taskflow4j_jobs_trash (
  uuid VARCHAR(64) NOT NULL PRIMARY KEY,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  book_name VARCHAR(255),
  book_uuid VARCHAR(64),
  details TEXT NOT NULL,
  priority INTEGER NOT NULL,
  seq BIGINT NOT NULL,
  created_on VARCHAR(32) NOT NULL,
  owner VARCHAR(255),
  epoch BIGINT NOT NULL,
  lease_until BIGINT,
  failures INTEGER NOT NULL,
  idempotency_key VARCHAR(255),
  reason TEXT NOT NULL,
  trashed_on VARCHAR(32) NOT NULL
);
CREATE INDEX taskflow4j_jobs_trash_board_idx ON taskflow4j_jobs_trash (board, seq);

CREATE TABLE taskflow4j_conductors (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  board VARCHAR(255) NOT NULL,
  name VARCHAR(255) NOT NULL,
  host VARCHAR(255) NOT NULL,
  pid BIGINT NOT NULL,
  since VARCHAR(32) NOT NULL,
  heartbeat BIGINT NOT NULL,
  meta TEXT NOT NULL
);
CREATE INDEX taskflow4j_conductors_board_idx ON taskflow4j_conductors (board, heartbeat);
