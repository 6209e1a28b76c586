-- Job priorities were stored as the position of the level in taskflow4j's enum (0 very high .. 4
-- very low); from this version on as the level's explicit code (100 very high .. 500 very low), so
-- that a change of the enum never changes what a stored job means. The mapping keeps every job's
-- claiming order (lower first, then seq), so the claim index and queries are unchanged. Only values
-- 0..4 are rewritten: run again over its own work (MySQL/MariaDB resume a stopped upgrade so), it
-- changes nothing more.
UPDATE taskflow4j_jobs SET priority = (priority + 1) * 100 WHERE priority BETWEEN 0 AND 4;
UPDATE taskflow4j_jobs_trash SET priority = (priority + 1) * 100 WHERE priority BETWEEN 0 AND 4;
