-- taskflow4j's additions, harmless to TaskFlow (it ignores columns it does not know):
-- a revision per flow/atom row for conflict detection, and indexes on parent_uuid so loading a
-- book or a flow does not scan the child tables. On SQLite children are ordered by rowid
-- (assigned max+1 on insert, so insertion order), which TaskFlow's own inserts also get.
ALTER TABLE flowdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE atomdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS flowdetails_parent_uuid_idx ON flowdetails (parent_uuid);
CREATE INDEX IF NOT EXISTS atomdetails_parent_uuid_idx ON atomdetails (parent_uuid);
