-- 0020: what the RAG pipeline (issue 5) needs beyond 0002's rag_chunks.

-- Vectors of one project and one model: the bounded count that picks the exact or the index
-- path of a search, and the exact path itself (a tenant's rows without scanning others').
create index rag_chunks_project_id_embedding_model_idx
  on rag_chunks (project_id, embedding_model)
  where embedding is not null;

-- Claimable work: pending chunks in arrival order (the claim's `order by created_at`).
create index rag_chunks_pending_created_at_idx
  on rag_chunks (created_at)
  where embedding_status = 'pending';

-- Bookkeeping of approximate-index builds: an ivfflat index clusters the rows it was built
-- on, so it is rebuilt (with lists sized to the table) when the row count has changed by a
-- factor since (rag::maintenance::maybe_rebuild_ivfflat). Not tenant data: one row per index.
create table rag_index_builds (
  index_name text primary key,
  rows_at_build bigint not null check (rows_at_build >= 0),
  lists int not null check (lists > 0),
  built_at timestamptz not null default now(),
  -- Set while a process rebuilds (a lease: a rebuild older than an hour is presumed dead).
  building_since timestamptz
);
