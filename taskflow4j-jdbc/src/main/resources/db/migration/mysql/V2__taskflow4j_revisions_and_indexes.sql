-- taskflow4j's additions, harmless to TaskFlow (it ignores columns it does not know): a revision
-- per flow/atom row for conflict detection, an insertion sequence per table (existing rows are
-- numbered by created_at, the order TaskFlow inserted them in) and (parent_uuid, seq) indexes so
-- a book or flow loads its children in order without scanning the child tables; and LONGTEXT
-- for the JSON columns TaskFlow left as TEXT.
ALTER TABLE flowdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE atomdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;

ALTER TABLE logbooks ADD COLUMN seq BIGINT NULL;
SET @tf4j_n := 0;
UPDATE logbooks SET seq = (@tf4j_n := @tf4j_n + 1) ORDER BY created_at, uuid;
ALTER TABLE logbooks MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY logbooks_seq_idx (seq);

ALTER TABLE flowdetails ADD COLUMN seq BIGINT NULL;
SET @tf4j_n := 0;
UPDATE flowdetails SET seq = (@tf4j_n := @tf4j_n + 1) ORDER BY created_at, uuid;
ALTER TABLE flowdetails MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY flowdetails_seq_idx (seq);

ALTER TABLE atomdetails ADD COLUMN seq BIGINT NULL;
SET @tf4j_n := 0;
UPDATE atomdetails SET seq = (@tf4j_n := @tf4j_n + 1) ORDER BY created_at, uuid;
ALTER TABLE atomdetails MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY atomdetails_seq_idx (seq);

CREATE INDEX flowdetails_parent_uuid_idx ON flowdetails (parent_uuid, seq);
CREATE INDEX atomdetails_parent_uuid_idx ON atomdetails (parent_uuid, seq);

-- TaskFlow's MySQL schema still caps these at 64 KB (TEXT), which large metadata or revert
-- results overflow (its known truncation problem); LONGTEXT reads the same for TaskFlow.
ALTER TABLE logbooks MODIFY meta LONGTEXT NULL;
ALTER TABLE atomdetails MODIFY meta LONGTEXT NULL, MODIFY revert_results LONGTEXT NULL;
