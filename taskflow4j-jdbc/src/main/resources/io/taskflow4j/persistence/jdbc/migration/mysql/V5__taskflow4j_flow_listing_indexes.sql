-- Indexes for listing flows newest first (Connection.findFlows) and counting them by state. Only
-- indexes are added: TaskFlow's tables and columns are unchanged, and it still reads and writes
-- them. MariaDB has no index on an expression (only on a generated column, which would change the
-- table), so the listing's COALESCE(updated_at, created_at) cannot be read in order from an index
-- there: it is sorted. These indexes hold both time columns, so a listing or count by state reads
-- only that state's entries and takes the times from the index; InnoDB appends the primary key
-- (uuid) to each.
--
-- MySQL/MariaDB commit every DDL statement on its own: each index is made only when
-- information_schema shows it missing, so a run stopped half-way is finished by the next.
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND index_name = 'flowdetails_updated_idx') = 0,
  'CREATE INDEX flowdetails_updated_idx ON flowdetails (updated_at, created_at)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
SET @tf4j_sql := IF((SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE()
    AND table_name = 'flowdetails' AND index_name = 'flowdetails_state_updated_idx') = 0,
  'CREATE INDEX flowdetails_state_updated_idx ON flowdetails (state, updated_at, created_at)',
  'DO 0');
PREPARE tf4j_step FROM @tf4j_sql;
EXECUTE tf4j_step;
DEALLOCATE PREPARE tf4j_step;
-- atomdetails (parent_uuid, seq), which counts the atoms of a page's flows, exists since V2.
