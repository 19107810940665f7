-- 0007: case library (curated stories of won/lost deals, churn, saves, with their evidence) and
-- revenue analytics snapshots.

create table case_library_entries (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  title text not null check (title <> ''),
  case_type text not null default 'other' check (case_type in
    ('won_deal', 'lost_deal', 'churn', 'save', 'escalation', 'success_story', 'other')),
  status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
  summary text,
  -- Markdown body: what happened, what worked, what to repeat or avoid.
  body text not null default '',
  outcome text,
  -- json array of strings.
  tags jsonb not null default '[]'::jsonb check (is_json_array(tags)),
  account_id uuid,
  opportunity_id uuid,
  created_by uuid references app_users(id) on delete set null,
  published_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint case_library_entries_project_id_id_key unique (project_id, id),
  constraint case_library_entries_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete set null (account_id),
  constraint case_library_entries_opportunity_fkey foreign key (project_id, opportunity_id)
    references crm_opportunities (project_id, id) on delete set null (opportunity_id)
);

create index case_library_entries_project_id_status_idx on case_library_entries (project_id, status, created_at desc);
create index case_library_entries_tags_idx on case_library_entries using gin (tags jsonb_path_ops);

create trigger case_library_entries_scope_match
  before insert or update of project_id, account_scope_id on case_library_entries
  for each row execute function enforce_project_scope_match();
create trigger case_library_entries_set_updated_at
  before update on case_library_entries
  for each row execute function set_updated_at();

-- Evidence cited by a case: (source_kind, source_id) as in evidence_items, with the resolved
-- evidence_items row when there is one.
create table case_evidence_refs (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  case_id uuid not null,
  source_kind text not null
    check (source_kind in ('message', 'chunk', 'conversation', 'contact', 'signal', 'offer', 'document')),
  source_id text not null,
  evidence_item_id uuid,
  -- The cited passage, and why it matters.
  quote text,
  note text,
  position int not null default 0 check (position >= 0),
  created_at timestamptz not null default now(),
  constraint case_evidence_refs_case_id_source_key unique (case_id, source_kind, source_id),
  constraint case_evidence_refs_case_fkey foreign key (project_id, case_id)
    references case_library_entries (project_id, id) on delete cascade,
  constraint case_evidence_refs_evidence_item_fkey foreign key (project_id, evidence_item_id)
    references evidence_items (project_id, id) on delete set null (evidence_item_id)
);

create index case_evidence_refs_case_id_position_idx on case_evidence_refs (case_id, position);
create index case_evidence_refs_source_idx on case_evidence_refs (project_id, source_kind, source_id);

create trigger case_evidence_refs_scope_match
  before insert or update of project_id, account_scope_id on case_evidence_refs
  for each row execute function enforce_project_scope_match();

-- One row per (project, period start, granularity, currency), recomputed idempotently (upsert on
-- the unique key). by_stage: json array of {stage_id, stage_key, count, amount, weighted_amount}.
create table analytics_revenue_snapshots (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  snapshot_date date not null,
  granularity text not null default 'day' check (granularity in ('day', 'week', 'month')),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  open_pipeline_amount numeric(18,2) not null default 0,
  weighted_pipeline_amount numeric(18,2) not null default 0,
  won_amount numeric(18,2) not null default 0,
  lost_amount numeric(18,2) not null default 0,
  open_opportunities int not null default 0 check (open_opportunities >= 0),
  won_opportunities int not null default 0 check (won_opportunities >= 0),
  lost_opportunities int not null default 0 check (lost_opportunities >= 0),
  offers_sent_amount numeric(18,2) not null default 0,
  offers_accepted_amount numeric(18,2) not null default 0,
  by_stage jsonb not null default '[]'::jsonb check (is_json_array(by_stage)),
  meta jsonb not null default '{}'::jsonb,
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint analytics_revenue_snapshots_period_key unique (project_id, snapshot_date, granularity, currency)
);

create index analytics_revenue_snapshots_project_id_date_idx
  on analytics_revenue_snapshots (project_id, granularity, snapshot_date desc);

create trigger analytics_revenue_snapshots_scope_match
  before insert or update of project_id, account_scope_id on analytics_revenue_snapshots
  for each row execute function enforce_project_scope_match();
create trigger analytics_revenue_snapshots_set_updated_at
  before update on analytics_revenue_snapshots
  for each row execute function set_updated_at();
