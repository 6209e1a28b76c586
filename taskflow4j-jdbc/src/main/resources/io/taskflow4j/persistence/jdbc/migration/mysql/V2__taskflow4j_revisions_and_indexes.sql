-- taskflow4j's additions, harmless to TaskFlow (it ignores columns it does not know): a revision
-- per flow/atom row for conflict detection, an insertion sequence per table (existing rows are
-- numbered by created_at, the order TaskFlow inserted them in) and (parent_uuid, seq) indexes so
-- a book or flow loads its children in order without scanning the child tables; and LONGTEXT
-- for the JSON columns TaskFlow left as TEXT.
--
-- MySQL/MariaDB commit every DDL statement on its own, so a run stopped half-way (a killed
-- process) leaves some of these changes made. Each change is therefore made only when
-- information_schema shows it missing, and rows are numbered only where seq is still empty: the
-- next upgrade runs this again and finishes the work, keeping every row and its order.

-- Revisions.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND column_name = 'revision') = 0,
  'ALTER TABLE flowdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'atomdetails' AND column_name = 'revision') = 0,
  'ALTER TABLE atomdetails ADD COLUMN revision BIGINT NOT NULL DEFAULT 0',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;

-- logbooks.seq: added empty, existing rows numbered by created_at, then made the auto-increment key.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'logbooks' AND column_name = 'seq') = 0,
  'ALTER TABLE logbooks ADD COLUMN seq BIGINT NULL',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_n := (SELECT COALESCE(MAX(seq), 0) FROM logbooks);
UPDATE logbooks SET seq = (@tf4j_n := @tf4j_n + 1) WHERE seq IS NULL ORDER BY created_at, uuid;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'logbooks' AND index_name = 'logbooks_seq_idx') = 0,
  'ALTER TABLE logbooks MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY logbooks_seq_idx (seq)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;

-- flowdetails.seq: added empty, existing rows numbered by created_at, then made the auto-increment key.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND column_name = 'seq') = 0,
  'ALTER TABLE flowdetails ADD COLUMN seq BIGINT NULL',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_n := (SELECT COALESCE(MAX(seq), 0) FROM flowdetails);
UPDATE flowdetails SET seq = (@tf4j_n := @tf4j_n + 1) WHERE seq IS NULL ORDER BY created_at, uuid;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND index_name = 'flowdetails_seq_idx') = 0,
  'ALTER TABLE flowdetails MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY flowdetails_seq_idx (seq)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;

-- atomdetails.seq: added empty, existing rows numbered by created_at, then made the auto-increment key.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'atomdetails' AND column_name = 'seq') = 0,
  'ALTER TABLE atomdetails ADD COLUMN seq BIGINT NULL',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_n := (SELECT COALESCE(MAX(seq), 0) FROM atomdetails);
UPDATE atomdetails SET seq = (@tf4j_n := @tf4j_n + 1) WHERE seq IS NULL ORDER BY created_at, uuid;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'atomdetails' AND index_name = 'atomdetails_seq_idx') = 0,
  'ALTER TABLE atomdetails MODIFY seq BIGINT NOT NULL AUTO_INCREMENT, ADD UNIQUE KEY atomdetails_seq_idx (seq)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;

-- Children by parent, in order.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND index_name = 'flowdetails_parent_uuid_idx') = 0,
  'CREATE INDEX flowdetails_parent_uuid_idx ON flowdetails (parent_uuid, seq)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'atomdetails' AND index_name = 'atomdetails_parent_uuid_idx') = 0,
  'CREATE INDEX atomdetails_parent_uuid_idx ON atomdetails (parent_uuid, seq)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;

-- TaskFlow's MySQL schema still caps these at 64 KB (TEXT), which large metadata or revert
-- results overflow (its known truncation problem); LONGTEXT reads the same for TaskFlow.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'logbooks' AND column_name = 'meta' AND data_type <> 'longtext') = 0,
  'DO 0',
  'ALTER TABLE logbooks MODIFY meta LONGTEXT NULL');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE()
    AND table_name = 'atomdetails' AND column_name IN ('meta', 'revert_results')
    AND data_type <> 'longtext') = 0,
  'DO 0',
  'ALTER TABLE atomdetails MODIFY meta LONGTEXT NULL, MODIFY revert_results LONGTEXT NULL');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
