-- Indexes for listing flows newest first (Connection.findFlows) and counting them by state, on a
-- store of any size. Only indexes are added: TaskFlow's tables and columns are unchanged, and it
-- still reads and writes them. A flow's effective update time is COALESCE(updated_at, created_at)
-- (TaskFlow inserts rows without an update time), so the indexes are on that expression, followed
-- by the uuid that breaks ties, compared byte-wise (COLLATE "C") as the listing orders it; the
-- state index serves a listing of flows in one state (the failed ones, say) the same way.
CREATE INDEX IF NOT EXISTS flowdetails_updated_idx
  ON flowdetails ((COALESCE(updated_at, created_at)), uuid COLLATE "C");
CREATE INDEX IF NOT EXISTS flowdetails_state_updated_idx
  ON flowdetails (state, (COALESCE(updated_at, created_at)), uuid COLLATE "C");
-- atomdetails (parent_uuid, seq), which counts the atoms of a page's flows, exists since V2.
