-- TaskFlow's tables as its alembic chain leaves them on MySQL/MariaDB at head 00af93df9d77: same
-- names, columns, LONGTEXT where TaskFlow widened them, enums, unique uuid indexes and constraint
-- names. Differences, both readable by TaskFlow: times keep microseconds (DATETIME(6)) and the
-- character set is utf8mb4 (TaskFlow asked for the 3-byte utf8).
-- MySQL/MariaDB commit each statement on its own, so every statement here may run again over a
-- run that was stopped half-way (IF NOT EXISTS, INSERT IGNORE): the next upgrade finishes it.
CREATE TABLE IF NOT EXISTS logbooks (
  created_at DATETIME(6) NULL,
  updated_at DATETIME(6) NULL,
  meta TEXT NULL,
  name VARCHAR(255) NULL,
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid),
  UNIQUE KEY logbook_uuid_idx (uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS flowdetails (
  created_at DATETIME(6) NULL,
  updated_at DATETIME(6) NULL,
  parent_uuid VARCHAR(64) NULL,
  meta LONGTEXT NULL,
  state VARCHAR(255) NULL,
  name VARCHAR(255) NULL,
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid),
  UNIQUE KEY flowdetails_uuid_idx (uuid),
  CONSTRAINT flowdetails_ibfk_1 FOREIGN KEY (parent_uuid)
    REFERENCES logbooks (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS atomdetails (
  created_at DATETIME(6) NULL,
  updated_at DATETIME(6) NULL,
  parent_uuid VARCHAR(64) NULL,
  meta TEXT NULL,
  name VARCHAR(255) NULL,
  results LONGTEXT NULL,
  version VARCHAR(64) NULL,
  state VARCHAR(255) NULL,
  uuid VARCHAR(64) NOT NULL,
  failure LONGTEXT NULL,
  atom_type ENUM('TASK_DETAIL', 'RETRY_DETAIL') NULL,
  intention ENUM('EXECUTE', 'IGNORE', 'REVERT', 'RETRY') NULL DEFAULT 'EXECUTE',
  revert_results TEXT NULL,
  revert_failure LONGTEXT NULL,
  PRIMARY KEY (uuid),
  UNIQUE KEY taskdetails_uuid_idx (uuid),
  CONSTRAINT taskdetails_ibfk_1 FOREIGN KEY (parent_uuid)
    REFERENCES flowdetails (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS alembic_version (
  version_num VARCHAR(32) NOT NULL,
  PRIMARY KEY (version_num)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT IGNORE INTO alembic_version (version_num) VALUES ('00af93df9d77');
