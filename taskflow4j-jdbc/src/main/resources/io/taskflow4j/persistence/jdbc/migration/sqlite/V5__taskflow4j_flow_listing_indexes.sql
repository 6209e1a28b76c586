-- Indexes for listing flows newest first (Connection.findFlows) and counting them by state, on a
-- store of any size. Only indexes are added: TaskFlow's tables and columns are unchanged, and it
-- still reads and writes the file (expression indexes need SQLite 3.9, from 2015). A flow's
-- effective update time is COALESCE(updated_at, created_at) (TaskFlow inserts rows without an
-- update time), so the indexes are on that expression, followed by the uuid that breaks ties; the
-- state index serves a listing of flows in one state (the failed ones, say) the same way.
CREATE INDEX IF NOT EXISTS flowdetails_updated_idx
  ON flowdetails (COALESCE(updated_at, created_at), uuid);
CREATE INDEX IF NOT EXISTS flowdetails_state_updated_idx
  ON flowdetails (state, COALESCE(updated_at, created_at), uuid);
-- atomdetails (parent_uuid), which counts the atoms of a page's flows, exists since V2.
