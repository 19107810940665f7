-- 0004: platform control: audit trail, evidence index, webhook dedupe, the job scheduler,
-- the outbound pipeline with per-contact channel policies, and per-project settings.

-- ---------------------------------------------------------------------------------------------
-- Audit trail (append-only)
-- ---------------------------------------------------------------------------------------------

-- actor convention: 'user:<app_users.id>', 'token:<api_tokens.id>', 'system:<component>'.
-- project_id/account_scope_id are both null for instance-wide events (login, signup approval).
--
-- Immutability vs. project deletion: the trigger below rejects every UPDATE and DELETE, including
-- the DELETE that `on delete cascade` from projects would issue. So a project that has audit
-- events cannot be hard-deleted (the delete fails with the append-only error); projects are
-- archived instead (projects.archived_at). TRUNCATE is rejected as well.
create table audit_events (
  id uuid primary key default gen_random_uuid(),
  project_id uuid references projects(id) on delete cascade,
  account_scope_id uuid references account_scopes(id),
  actor text not null,
  action text not null,
  target_kind text,
  target_id text,
  evidence_refs jsonb not null,
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint audit_events_scope_pair check ((project_id is null) = (account_scope_id is null)),
  constraint audit_events_evidence_required check (is_nonempty_json_array(evidence_refs))
);

create index audit_events_project_id_created_at_idx on audit_events (project_id, created_at desc);
create index audit_events_project_id_action_idx on audit_events (project_id, action);
create index audit_events_actor_idx on audit_events (actor);
create index audit_events_target_idx on audit_events (project_id, target_kind, target_id);

create trigger audit_events_scope_match
  before insert or update of project_id, account_scope_id on audit_events
  for each row execute function enforce_project_scope_match();

-- Rejects UPDATE, DELETE and TRUNCATE: SQLSTATE 23001 (restrict_violation),
-- constraint 'audit_events_append_only', message 'audit_events is append-only: ...'.
create function audit_events_append_only() returns trigger
language plpgsql as $$
begin
  raise exception 'audit_events is append-only: % is not allowed', tg_op
    using errcode = 'restrict_violation',
          constraint = 'audit_events_append_only',
          table = 'audit_events';
end
$$;

create trigger audit_events_no_update_delete
  before update or delete on audit_events
  for each row execute function audit_events_append_only();
create trigger audit_events_no_truncate
  before truncate on audit_events
  for each statement execute function audit_events_append_only();

-- ---------------------------------------------------------------------------------------------
-- Evidence index (full-text search over everything that can be cited)
-- ---------------------------------------------------------------------------------------------

-- source_id: cw global id for message/conversation/contact, uuid text for chunk/signal/offer,
-- app-defined for document. search_tsv is generated (not in the entity).
create table evidence_items (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  source_kind text not null
    check (source_kind in ('message', 'chunk', 'conversation', 'contact', 'signal', 'offer', 'document')),
  source_id text not null,
  title text,
  search_text text not null,
  search_tsv tsvector generated always as (to_tsvector('simple', coalesce(search_text, ''))) stored,
  -- Extension: filters for "evidence of this conversation / contact".
  conversation_global_id text,
  contact_global_id text,
  meta jsonb not null default '{}'::jsonb,
  occurred_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint evidence_items_project_id_source_kind_source_id_key unique (project_id, source_kind, source_id),
  constraint evidence_items_project_id_id_key unique (project_id, id),
  constraint evidence_items_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id)),
  constraint evidence_items_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index evidence_items_search_tsv_idx on evidence_items using gin (search_tsv);
create index evidence_items_project_id_occurred_at_idx on evidence_items (project_id, occurred_at desc nulls last);
create index evidence_items_project_id_conversation_idx on evidence_items (project_id, conversation_global_id)
  where conversation_global_id is not null;
create index evidence_items_project_id_contact_idx on evidence_items (project_id, contact_global_id)
  where contact_global_id is not null;

create trigger evidence_items_scope_match
  before insert or update of project_id, account_scope_id on evidence_items
  for each row execute function enforce_project_scope_match();
create trigger evidence_items_set_updated_at
  before update on evidence_items
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Webhook deliveries (dedupe on X-Chatwoot-Delivery; the body is processed by a job)
-- ---------------------------------------------------------------------------------------------

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  source_id uuid not null,
  delivery_id text not null,
  event text,
  payload jsonb,
  status text not null default 'received' check (status in ('received', 'processed', 'failed', 'ignored')),
  error text,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint webhook_deliveries_source_id_delivery_id_key unique (source_id, delivery_id),
  constraint webhook_deliveries_source_fkey foreign key (project_id, source_id)
    references project_sources (project_id, id) on delete cascade
);

create index webhook_deliveries_project_id_received_at_idx on webhook_deliveries (project_id, received_at desc);
create index webhook_deliveries_received_at_idx on webhook_deliveries (received_at);
create index webhook_deliveries_pending_idx on webhook_deliveries (received_at) where status = 'received';

create trigger webhook_deliveries_scope_match
  before insert or update of project_id, account_scope_id on webhook_deliveries
  for each row execute function enforce_project_scope_match();
create trigger webhook_deliveries_set_updated_at
  before update on webhook_deliveries
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Scheduler: jobs claimed with FOR UPDATE SKIP LOCKED under a lease; one worker_runs row per try
-- ---------------------------------------------------------------------------------------------

create table scheduled_jobs (
  id bigserial primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  kind text not null check (kind <> ''),
  payload jsonb not null default '{}'::jsonb,
  status text not null default 'queued'
    check (status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority int not null default 0,
  run_at timestamptz not null default now(),
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts >= 1),
  locked_by text,
  lease_expires_at timestamptz,
  last_error text,
  dedupe_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint scheduled_jobs_project_id_id_key unique (project_id, id)
);

-- At most one live (queued or running) job per (project, kind, dedupe_key).
create unique index scheduled_jobs_dedupe_key_live_idx on scheduled_jobs (project_id, kind, dedupe_key)
  where status in ('queued', 'running') and dedupe_key is not null;
create index scheduled_jobs_claim_idx on scheduled_jobs (status, run_at, priority desc);
create index scheduled_jobs_lease_idx on scheduled_jobs (lease_expires_at) where status = 'running';
create index scheduled_jobs_project_id_kind_idx on scheduled_jobs (project_id, kind, created_at desc);

create trigger scheduled_jobs_scope_match
  before insert or update of project_id, account_scope_id on scheduled_jobs
  for each row execute function enforce_project_scope_match();
create trigger scheduled_jobs_set_updated_at
  before update on scheduled_jobs
  for each row execute function set_updated_at();

-- Wakes idle workers: NOTIFY on channel 'scheduled_jobs' with the job kind as payload whenever a
-- job is inserted as queued (workers LISTEN and also poll, so a lost notification only delays).
create function scheduled_jobs_notify() returns trigger
language plpgsql as $$
begin
  perform pg_notify('scheduled_jobs', new.kind);
  return null;
end
$$;

create trigger scheduled_jobs_notify
  after insert on scheduled_jobs
  for each row when (new.status = 'queued')
  execute function scheduled_jobs_notify();

create table worker_runs (
  id bigserial primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  job_id bigint,
  worker_id text not null,
  -- Which try of the job this run is (scheduled_jobs.attempts after the claim).
  attempt int not null default 1 check (attempt >= 1),
  status text not null default 'running' check (status in ('running', 'ok', 'failed', 'lost')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  error text,
  meta jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now(),
  constraint worker_runs_job_fkey foreign key (project_id, job_id)
    references scheduled_jobs (project_id, id) on delete cascade
);

create index worker_runs_job_id_idx on worker_runs (job_id, started_at desc);
create index worker_runs_project_id_started_at_idx on worker_runs (project_id, started_at desc);
create index worker_runs_running_idx on worker_runs (worker_id) where status = 'running';

create trigger worker_runs_scope_match
  before insert or update of project_id, account_scope_id on worker_runs
  for each row execute function enforce_project_scope_match();
create trigger worker_runs_set_updated_at
  before update on worker_runs
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Outbound pipeline: draft -> pending_approval -> approved -> queued -> sent | failed | blocked
-- (and cancelled). Channel names: lowercase identifiers, e.g. 'whatsapp', 'email', 'sms',
-- 'web_widget', 'telegram', 'api' (the Chatwoot inbox channel of the conversation).
-- ---------------------------------------------------------------------------------------------

create table outbound_messages (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  channel text not null check (channel ~ '^[a-z][a-z0-9_]*$'),
  contact_global_id text not null,
  -- The Chatwoot conversation to post into (null until the sender resolves one).
  conversation_global_id text,
  origin_kind text not null default 'manual' check (origin_kind in ('manual', 'campaign', 'offer', 'nba')),
  -- id (uuid text) of the campaign / offer / next_best_action this message comes from.
  origin_id text,
  content text not null,
  status text not null default 'draft'
    check (status in ('draft', 'pending_approval', 'approved', 'queued', 'sent', 'failed', 'blocked', 'cancelled')),
  created_by uuid references app_users(id) on delete set null,
  approved_by uuid references app_users(id) on delete set null,
  approved_at timestamptz,
  -- Why the send-time re-check refused it: e.g. 'opted_out', 'frequency_cap', 'not_approved'.
  blocked_reason text,
  attempts int not null default 0 check (attempts >= 0),
  max_attempts int not null default 5 check (max_attempts >= 1),
  next_attempt_at timestamptz,
  locked_by text,
  lease_expires_at timestamptz,
  last_error text,
  queued_at timestamptz,
  sent_at timestamptz,
  -- Id of the message Chatwoot created (the reply of POST .../messages).
  chatwoot_message_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint outbound_messages_project_id_id_key unique (project_id, id),
  -- Nothing unapproved reaches approved/queued/sent.
  constraint outbound_messages_sent_requires_approval
    check (status not in ('approved', 'queued', 'sent') or approved_at is not null),
  constraint outbound_messages_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id)),
  constraint outbound_messages_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id))
);

create index outbound_messages_project_id_status_idx on outbound_messages (project_id, status, created_at desc);
create index outbound_messages_claim_idx on outbound_messages (next_attempt_at nulls first, created_at)
  where status = 'queued';
-- Frequency caps count recent sends per contact and channel.
create index outbound_messages_frequency_idx on outbound_messages (project_id, contact_global_id, channel, sent_at desc)
  where status = 'sent';
create index outbound_messages_origin_idx on outbound_messages (project_id, origin_kind, origin_id);

create trigger outbound_messages_scope_match
  before insert or update of project_id, account_scope_id on outbound_messages
  for each row execute function enforce_project_scope_match();
create trigger outbound_messages_set_updated_at
  before update on outbound_messages
  for each row execute function set_updated_at();

create table outbound_attempts (
  id bigserial primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  outbound_message_id uuid not null,
  attempt_no int not null check (attempt_no >= 1),
  status text not null default 'running' check (status in ('running', 'sent', 'failed', 'blocked')),
  -- For failed: whether the sender will try again.
  retryable boolean,
  http_status int,
  error text,
  worker_id text,
  chatwoot_message_id bigint,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  constraint outbound_attempts_outbound_message_id_attempt_no_key unique (outbound_message_id, attempt_no),
  constraint outbound_attempts_message_fkey foreign key (project_id, outbound_message_id)
    references outbound_messages (project_id, id) on delete cascade
);

create trigger outbound_attempts_scope_match
  before insert or update of project_id, account_scope_id on outbound_attempts
  for each row execute function enforce_project_scope_match();

-- Opt-out and frequency cap per contact and channel. channel 'all' is reserved for a policy that
-- covers every channel. A null frequency_cap means the project default (project_settings).
create table contact_channel_policies (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  contact_global_id text not null,
  channel text not null check (channel ~ '^[a-z][a-z0-9_]*$'),
  opted_out boolean not null default false,
  opt_out_reason text,
  opt_out_evidence jsonb not null default '[]'::jsonb check (is_json_array(opt_out_evidence)),
  opted_out_at timestamptz,
  -- Actor (audit convention) who opted the contact out or back in.
  changed_by text,
  opted_in_at timestamptz,
  frequency_cap int check (frequency_cap >= 0),
  frequency_window_seconds int check (frequency_window_seconds > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint contact_channel_policies_contact_channel_key unique (project_id, contact_global_id, channel),
  constraint contact_channel_policies_opted_out_at_required check (not opted_out or opted_out_at is not null),
  constraint contact_channel_policies_cap_pair
    check ((frequency_cap is null) = (frequency_window_seconds is null)),
  constraint contact_channel_policies_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index contact_channel_policies_opted_out_idx on contact_channel_policies (project_id, channel)
  where opted_out;

create trigger contact_channel_policies_scope_match
  before insert or update of project_id, account_scope_id on contact_channel_policies
  for each row execute function enforce_project_scope_match();
create trigger contact_channel_policies_set_updated_at
  before update on contact_channel_policies
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Per-project settings (one row per project; absent row = defaults below)
-- ---------------------------------------------------------------------------------------------

create table project_settings (
  project_id uuid primary key references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  default_currency char(3) not null default 'USD' check (default_currency ~ '^[A-Z]{3}$'),
  -- An offer whose largest line discount exceeds this percentage needs an approver other than
  -- its author (offer_approvals enforces it).
  offer_discount_approval_threshold numeric(5,2) not null default 10
    check (offer_discount_approval_threshold between 0 and 100),
  -- Frequency cap applied when a contact has no own cap: N messages per window per channel.
  default_frequency_cap int not null default 3 check (default_frequency_cap >= 0),
  default_frequency_window_seconds int not null default 604800 check (default_frequency_window_seconds > 0),
  -- Inbound phrases that opt a contact out (json array of strings, case-insensitive, any
  -- language); empty = app defaults.
  opt_out_phrases jsonb not null default '[]'::jsonb check (is_json_array(opt_out_phrases)),
  -- Anything else the app wants to make configurable per project.
  settings jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create trigger project_settings_scope_match
  before insert or update of project_id, account_scope_id on project_settings
  for each row execute function enforce_project_scope_match();
create trigger project_settings_set_updated_at
  before update on project_settings
  for each row execute function set_updated_at();
