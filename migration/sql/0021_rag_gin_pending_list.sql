-- 0021: bound the full-text index's pending list.
--
-- GIN's fast update appends new entries to a pending list that every search scans linearly
-- until vacuum merges it (default limit 4 MB). The embed worker rewrites each chunk row twice
-- (claim, result), so under a backlog the list stays near its limit and each query term pays
-- ~1 ms to scan it (measured at 100k chunks). 256 kB keeps the scan negligible; inserts merge
-- into the index a little more often.
alter index rag_chunks_search_tsv_idx set (gin_pending_list_limit = 256);
