-- 0002: core tables of spec/data-model.md: tenancy (account_scopes, projects, sessions,
-- project_sources) and the ingestion pipeline (cw_*, rag_chunks, sync_watermarks, job_runs).
--
-- Assumption inherited from the spec: one Chatwoot installation. Chatwoot account ids are treated
-- as globally unique (project_sources unique(source_kind, external_id), cw_contacts
-- unique(account_id, contact_id)).

-- ---------------------------------------------------------------------------------------------
-- Tenancy
-- ---------------------------------------------------------------------------------------------

create table account_scopes (
  id uuid primary key default gen_random_uuid(),
  scope_key text unique,
  name text,
  created_at timestamptz not null default now()
);

create table projects (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  account_scope_id uuid not null references account_scopes(id),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Soft delete. Projects with audit events cannot be hard-deleted (see audit_events), so
  -- "deleting" a project means archiving it.
  archived_at timestamptz
);

create index projects_account_scope_id_idx on projects (account_scope_id);

create trigger projects_set_updated_at
  before update on projects
  for each row execute function set_updated_at();

-- A project never changes account scope: every scoped row was checked against the scope it had.
create function projects_scope_immutable() returns trigger
language plpgsql as $$
begin
  if new.account_scope_id is distinct from old.account_scope_id then
    raise exception 'project scope mismatch on projects: the account scope of project % cannot change', old.id
      using errcode = 'check_violation',
            constraint = 'project_scope_match',
            table = 'projects';
  end if;
  return new;
end
$$;

create trigger projects_scope_immutable
  before update of account_scope_id on projects
  for each row execute function projects_scope_immutable();

create table sessions (
  session_id text primary key,
  username text not null,
  active_project_id uuid references projects(id) on delete set null,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);

create index sessions_username_idx on sessions (username);
create index sessions_last_seen_at_idx on sessions (last_seen_at);

create table project_sources (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  source_kind text not null check (source_kind in ('chatwoot_account')),
  -- For chatwoot_account: the Chatwoot account id, in decimal.
  external_id text not null,
  -- Opaque, unguessable key used in the webhook URL /webhooks/chatwoot/<source_key>.
  source_key text not null unique,
  base_url text not null check (base_url ~ '^https?://'),
  -- Secret: never returned by the API.
  api_access_token text not null,
  -- Secret: HMAC key for X-Chatwoot-Signature; null = none configured.
  webhook_secret text,
  verify_signatures boolean not null default true,
  sync_interval_seconds int not null default 300 check (sync_interval_seconds > 0),
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint project_sources_source_kind_external_id_key unique (source_kind, external_id),
  constraint project_sources_project_id_source_kind_key unique (project_id, source_kind),
  constraint project_sources_project_id_id_key unique (project_id, id),
  constraint project_sources_chatwoot_external_id_numeric
    check (source_kind <> 'chatwoot_account' or external_id ~ '^[0-9]+$')
);

create trigger project_sources_scope_match
  before insert or update of project_id, account_scope_id on project_sources
  for each row execute function enforce_project_scope_match();
create trigger project_sources_set_updated_at
  before update on project_sources
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Chatwoot mirror. Global ids (spec): cwc:<project_id>:<account_id>:<contact_id>,
-- cw:<project_id>:<account_id>:<conversation_id>, cwmsg:<project_id>:<account_id>:<message_id>;
-- checked below. created_at/updated_at are Chatwoot's timestamps (no trigger), except
-- cw_contacts/cw_conversations.created_at which default to the ingestion time as in the spec.
-- No foreign keys between cw_* rows: webhooks may deliver a message before its conversation.
-- ---------------------------------------------------------------------------------------------

create table cw_contacts (
  id text primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id bigint not null,
  contact_id bigint not null,
  name text,
  email text,
  phone_number text,
  identifier text,
  custom_attributes jsonb not null default '{}'::jsonb,
  data jsonb not null,
  updated_at timestamptz,
  created_at timestamptz not null default now(),
  constraint cw_contacts_account_id_contact_id_key unique (account_id, contact_id),
  constraint cw_contacts_id_format
    check (id = 'cwc:' || project_id::text || ':' || account_id::text || ':' || contact_id::text)
);

create index cw_contacts_updated_at_idx on cw_contacts (updated_at desc nulls last);
create index cw_contacts_project_id_updated_at_idx on cw_contacts (project_id, updated_at desc nulls last);
create index cw_contacts_project_id_email_idx on cw_contacts (project_id, lower(email)) where email is not null;

create trigger cw_contacts_scope_match
  before insert or update of project_id, account_scope_id on cw_contacts
  for each row execute function enforce_project_scope_match();

create table cw_conversations (
  id text primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id bigint,
  conversation_id bigint,
  contact_global_id text,
  inbox_id bigint,
  status text,
  assignee_id bigint,
  data jsonb not null,
  updated_at timestamptz,
  created_at timestamptz not null default now(),
  constraint cw_conversations_id_format
    check (id = 'cw:' || project_id::text || ':' || account_id::text || ':' || conversation_id::text),
  constraint cw_conversations_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index cw_conversations_project_id_updated_at_idx on cw_conversations (project_id, updated_at desc nulls last);
create index cw_conversations_project_id_contact_global_id_idx on cw_conversations (project_id, contact_global_id);
create index cw_conversations_project_id_status_idx on cw_conversations (project_id, status, updated_at desc nulls last);
create index cw_conversations_project_id_inbox_id_idx on cw_conversations (project_id, inbox_id);
create index cw_conversations_project_id_assignee_id_idx on cw_conversations (project_id, assignee_id);

create trigger cw_conversations_scope_match
  before insert or update of project_id, account_scope_id on cw_conversations
  for each row execute function enforce_project_scope_match();

create table cw_messages (
  id text primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id bigint,
  message_id bigint,
  conversation_id bigint,
  conversation_global_id text,
  contact_global_id text,
  sender_type text,
  sender_id bigint,
  private boolean not null default false,
  message_type text,
  content text,
  data jsonb not null,
  created_at timestamptz,
  updated_at timestamptz,
  constraint cw_messages_id_format
    check (id = 'cwmsg:' || project_id::text || ':' || account_id::text || ':' || message_id::text),
  constraint cw_messages_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id)),
  constraint cw_messages_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index cw_messages_conversation_id_idx on cw_messages (conversation_id);
create index cw_messages_created_at_idx on cw_messages (created_at desc);
create index cw_messages_conversation_global_id_idx on cw_messages (conversation_global_id);
create index cw_messages_contact_global_id_idx on cw_messages (contact_global_id);
create index cw_messages_account_id_created_at_idx on cw_messages (account_id, created_at desc);
create index cw_messages_project_id_conversation_global_id_created_at_idx
  on cw_messages (project_id, conversation_global_id, created_at);
create index cw_messages_project_id_created_at_idx on cw_messages (project_id, created_at desc);

create trigger cw_messages_scope_match
  before insert or update of project_id, account_scope_id on cw_messages
  for each row execute function enforce_project_scope_match();

-- ---------------------------------------------------------------------------------------------
-- RAG
-- ---------------------------------------------------------------------------------------------

create table rag_chunks (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  conversation_global_id text,
  message_global_id text,
  chunk_index int check (chunk_index >= 0),
  text text not null,
  text_hash text,
  content_tokens int check (content_tokens >= 0),
  embedding vector(1536),
  embedding_status text not null default 'pending'
    check (embedding_status in ('pending', 'processing', 'ready', 'failed')),
  embedding_model text,
  embedding_attempts int not null default 0 check (embedding_attempts >= 0),
  embedding_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_embedded_at timestamptz,
  -- Embedding worker lease (extension of the spec): set when a worker marks the chunk
  -- 'processing'; a chunk whose lease expired is claimable again.
  locked_by text,
  lease_expires_at timestamptz,
  -- Backoff after a failed attempt: not claimable before this time (null = now).
  next_attempt_at timestamptz,
  -- Full-text side of hybrid search (generated; not in the entity, never written by the app).
  search_tsv tsvector generated always as (to_tsvector('simple', coalesce(text, ''))) stored,
  constraint rag_chunks_message_global_id_chunk_index_key unique (message_global_id, chunk_index),
  constraint rag_chunks_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id)),
  constraint rag_chunks_message_global_id_in_project
    check (is_project_global_id('cwmsg', message_global_id, project_id))
);

create index rag_chunks_conversation_global_id_idx on rag_chunks (conversation_global_id);
create index rag_chunks_message_global_id_idx on rag_chunks (message_global_id);
create index rag_chunks_embedding_status_created_at_idx on rag_chunks (embedding_status, created_at desc);
create index rag_chunks_text_hash_idx on rag_chunks (text_hash);
create index rag_chunks_project_id_embedding_status_idx on rag_chunks (project_id, embedding_status);
create index rag_chunks_processing_lease_idx on rag_chunks (lease_expires_at) where embedding_status = 'processing';
create index rag_chunks_search_tsv_idx on rag_chunks using gin (search_tsv);
create index rag_chunks_embedding_ivfflat_idx on rag_chunks
  using ivfflat (embedding vector_cosine_ops) with (lists = 100);

-- HNSW only where the access method exists (pgvector >= 0.5).
do $$
begin
  if exists (select 1 from pg_am where amname = 'hnsw') then
    execute 'create index rag_chunks_embedding_hnsw_idx on rag_chunks '
            'using hnsw (embedding vector_cosine_ops)';
  end if;
end
$$;

create trigger rag_chunks_scope_match
  before insert or update of project_id, account_scope_id on rag_chunks
  for each row execute function enforce_project_scope_match();
create trigger rag_chunks_set_updated_at
  before update on rag_chunks
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Sync bookkeeping
-- ---------------------------------------------------------------------------------------------

create table sync_watermarks (
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  -- e.g. 'chatwoot:<account_id>'
  source text not null,
  cursor_ts timestamptz,
  cursor_id text,
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (project_id, source)
);

create trigger sync_watermarks_scope_match
  before insert or update of project_id, account_scope_id on sync_watermarks
  for each row execute function enforce_project_scope_match();
create trigger sync_watermarks_set_updated_at
  before update on sync_watermarks
  for each row execute function set_updated_at();

create table job_runs (
  id bigserial primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  job_name text not null,
  status text not null check (status in ('running', 'ok', 'failed')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  processed_count int not null default 0 check (processed_count >= 0),
  error text,
  meta jsonb not null default '{}'::jsonb,
  -- Extension: the source a sync run worked on (null for runs not tied to a source).
  source_id uuid,
  -- Extension: progress updates of a running job bump this (live progress, stale-run detection).
  updated_at timestamptz not null default now(),
  constraint job_runs_source_fkey foreign key (project_id, source_id)
    references project_sources (project_id, id) on delete set null (source_id)
);

create index job_runs_project_id_started_at_idx on job_runs (project_id, started_at desc);
create index job_runs_project_id_job_name_started_at_idx on job_runs (project_id, job_name, started_at desc);
create index job_runs_source_id_started_at_idx on job_runs (source_id, started_at desc) where source_id is not null;
create index job_runs_running_idx on job_runs (project_id) where status = 'running';

create trigger job_runs_scope_match
  before insert or update of project_id, account_scope_id on job_runs
  for each row execute function enforce_project_scope_match();
create trigger job_runs_set_updated_at
  before update on job_runs
  for each row execute function set_updated_at();
