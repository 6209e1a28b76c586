-- TaskFlow's tables as its alembic chain leaves them on PostgreSQL at head 00af93df9d77:
-- same names, columns, native JSON columns, enum types, index and constraint names, so TaskFlow
-- (and its alembic) can share the database.
CREATE TYPE atom_types AS ENUM ('TASK_DETAIL', 'RETRY_DETAIL');
CREATE TYPE intention_type AS ENUM ('EXECUTE', 'IGNORE', 'REVERT', 'RETRY');

CREATE TABLE logbooks (
  created_at TIMESTAMP WITHOUT TIME ZONE,
  updated_at TIMESTAMP WITHOUT TIME ZONE,
  meta JSON,
  name VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid)
);

CREATE TABLE flowdetails (
  created_at TIMESTAMP WITHOUT TIME ZONE,
  updated_at TIMESTAMP WITHOUT TIME ZONE,
  parent_uuid VARCHAR(64),
  meta JSON,
  state VARCHAR(255),
  name VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  PRIMARY KEY (uuid),
  CONSTRAINT flowdetails_ibfk_1 FOREIGN KEY (parent_uuid)
    REFERENCES logbooks (uuid) ON DELETE CASCADE
);

CREATE TABLE atomdetails (
  created_at TIMESTAMP WITHOUT TIME ZONE,
  updated_at TIMESTAMP WITHOUT TIME ZONE,
  parent_uuid VARCHAR(64),
  meta JSON,
  name VARCHAR(255),
  results JSON,
  version VARCHAR(64),
  state VARCHAR(255),
  uuid VARCHAR(64) NOT NULL,
  failure JSON,
  atom_type atom_types,
  intention intention_type DEFAULT 'EXECUTE',
  revert_results JSON,
  revert_failure JSON,
  PRIMARY KEY (uuid),
  CONSTRAINT taskdetails_ibfk_1 FOREIGN KEY (parent_uuid)
    REFERENCES flowdetails (uuid) ON DELETE CASCADE
);

CREATE INDEX logbook_uuid_idx ON logbooks (uuid);
CREATE INDEX flowdetails_uuid_idx ON flowdetails (uuid);
CREATE INDEX taskdetails_uuid_idx ON atomdetails (uuid);

CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('00af93df9d77');
