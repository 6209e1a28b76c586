-- TaskFlow's tables as its SQLAlchemy backend creates them on SQLite (metadata.create_all at
-- alembic head 00af93df9d77): same names, columns and types, so TaskFlow can share the file.
CREATE TABLE IF NOT EXISTS logbooks (
  created_at DATETIME,
  updated_at DATETIME,
  meta TEXT,
  name VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid),
  UNIQUE (uuid)
);

CREATE TABLE IF NOT EXISTS flowdetails (
  created_at DATETIME,
  updated_at DATETIME,
  parent_uuid VARCHAR(64),
  meta TEXT,
  name VARCHAR(255),
  state VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid),
  FOREIGN KEY (parent_uuid) REFERENCES logbooks (uuid) ON DELETE CASCADE,
  UNIQUE (uuid)
);

CREATE TABLE IF NOT EXISTS atomdetails (
  created_at DATETIME,
  updated_at DATETIME,
  meta TEXT,
  parent_uuid VARCHAR(64),
  name VARCHAR(255),
  version VARCHAR(64),
  state VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  failure TEXT,
  results TEXT,
  revert_results TEXT,
  revert_failure TEXT,
  atom_type VARCHAR(12),
  intention VARCHAR(7),
  PRIMARY KEY (uuid),
  FOREIGN KEY (parent_uuid) REFERENCES flowdetails (uuid) ON DELETE CASCADE,
  UNIQUE (uuid)
);
