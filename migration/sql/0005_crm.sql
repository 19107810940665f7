-- 0005: CRM on conversation evidence: accounts and their contacts, a per-project pipeline,
-- opportunities with stage history, signals (+ editable example phrases), next-best-actions,
-- health weights and scores, and the risk radar.
--
-- People columns (`*_by`, owner_user_id) reference app_users(id) on delete set null; null means
-- "the system" or a deleted user. Evidence columns are jsonb arrays (see 0001).

-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------

create table crm_accounts (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  name text not null check (name <> ''),
  -- Primary email domain, lowercase (drives contact suggestions).
  domain text check (domain = lower(domain)),
  website text,
  industry text,
  owner_user_id uuid references app_users(id) on delete set null,
  -- active | archived | merged (merged rows point at the surviving account and keep their history).
  status text not null default 'active' check (status in ('active', 'archived', 'merged')),
  merged_into_id uuid,
  -- Free attributes, e.g. Chatwoot company attributes.
  attributes jsonb not null default '{}'::jsonb,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint crm_accounts_project_id_id_key unique (project_id, id),
  constraint crm_accounts_merged_into_fkey foreign key (project_id, merged_into_id)
    references crm_accounts (project_id, id),
  constraint crm_accounts_merged_consistent check ((status = 'merged') = (merged_into_id is not null)),
  constraint crm_accounts_not_merged_into_self check (merged_into_id is distinct from id)
);

create index crm_accounts_project_id_name_idx on crm_accounts (project_id, lower(name));
create index crm_accounts_project_id_domain_idx on crm_accounts (project_id, domain) where domain is not null;
create index crm_accounts_project_id_owner_idx on crm_accounts (project_id, owner_user_id);
create index crm_accounts_project_id_status_idx on crm_accounts (project_id, status, updated_at desc);

create trigger crm_accounts_scope_match
  before insert or update of project_id, account_scope_id on crm_accounts
  for each row execute function enforce_project_scope_match();
create trigger crm_accounts_set_updated_at
  before update on crm_accounts
  for each row execute function set_updated_at();

-- Contact <-> account links: suggested by the system, confirmed or rejected by a person.
-- A contact has at most one confirmed account.
create table crm_account_contacts (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid not null,
  contact_global_id text not null,
  link_status text not null default 'suggested' check (link_status in ('suggested', 'confirmed', 'rejected')),
  link_source text not null default 'manual'
    check (link_source in ('manual', 'email_domain', 'company_attribute', 'merge')),
  -- Job title / role of the contact at the account.
  role text,
  is_primary boolean not null default false,
  decided_by uuid references app_users(id) on delete set null,
  decided_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint crm_account_contacts_account_id_contact_global_id_key unique (account_id, contact_global_id),
  constraint crm_account_contacts_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete cascade,
  constraint crm_account_contacts_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create unique index crm_account_contacts_one_confirmed_account_idx
  on crm_account_contacts (project_id, contact_global_id) where link_status = 'confirmed';
create index crm_account_contacts_project_id_contact_idx on crm_account_contacts (project_id, contact_global_id);
create index crm_account_contacts_account_id_status_idx on crm_account_contacts (account_id, link_status);

create trigger crm_account_contacts_scope_match
  before insert or update of project_id, account_scope_id on crm_account_contacts
  for each row execute function enforce_project_scope_match();
create trigger crm_account_contacts_set_updated_at
  before update on crm_account_contacts
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Pipeline and opportunities
-- ---------------------------------------------------------------------------------------------

-- A project's ordered stage list. position is unique per project but deferred, so a reorder can
-- swap positions inside one transaction.
create table crm_pipeline_stages (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  key text not null check (key ~ '^[a-z0-9_]+$'),
  name text not null check (name <> ''),
  position int not null check (position >= 0),
  -- Probability used for the weighted forecast when an opportunity has none of its own.
  default_probability int not null default 0 check (default_probability between 0 and 100),
  is_won boolean not null default false,
  is_lost boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint crm_pipeline_stages_project_id_key_key unique (project_id, key),
  constraint crm_pipeline_stages_project_id_position_key unique (project_id, position)
    deferrable initially deferred,
  constraint crm_pipeline_stages_project_id_id_key unique (project_id, id),
  constraint crm_pipeline_stages_terminal_once check (not (is_won and is_lost))
);

create trigger crm_pipeline_stages_scope_match
  before insert or update of project_id, account_scope_id on crm_pipeline_stages
  for each row execute function enforce_project_scope_match();
create trigger crm_pipeline_stages_set_updated_at
  before update on crm_pipeline_stages
  for each row execute function set_updated_at();

create table crm_opportunities (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid not null,
  name text not null check (name <> ''),
  amount numeric(18,2) not null default 0 check (amount >= 0),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  -- A stage with opportunities cannot be deleted (move them first).
  stage_id uuid not null,
  -- 0..100; null = the stage's default_probability.
  probability int check (probability between 0 and 100),
  expected_close_date date,
  owner_user_id uuid references app_users(id) on delete set null,
  -- Where it came from (e.g. "create an opportunity from this conversation").
  source_conversation_global_id text,
  -- Set when it enters a won/lost stage, cleared when it leaves one.
  closed_at timestamptz,
  lost_reason text,
  created_by uuid references app_users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint crm_opportunities_project_id_id_key unique (project_id, id),
  constraint crm_opportunities_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete cascade,
  constraint crm_opportunities_stage_fkey foreign key (project_id, stage_id)
    references crm_pipeline_stages (project_id, id),
  constraint crm_opportunities_source_conversation_in_project
    check (is_project_global_id('cw', source_conversation_global_id, project_id))
);

create index crm_opportunities_project_id_stage_id_idx on crm_opportunities (project_id, stage_id);
create index crm_opportunities_project_id_account_id_idx on crm_opportunities (project_id, account_id);
create index crm_opportunities_project_id_owner_idx on crm_opportunities (project_id, owner_user_id);
create index crm_opportunities_project_id_close_date_idx on crm_opportunities (project_id, expected_close_date);

create trigger crm_opportunities_scope_match
  before insert or update of project_id, account_scope_id on crm_opportunities
  for each row execute function enforce_project_scope_match();
create trigger crm_opportunities_set_updated_at
  before update on crm_opportunities
  for each row execute function set_updated_at();

-- One row per stage change (the first row of an opportunity has no from stage). Stage keys are
-- copied so history survives a stage's deletion; amount/probability are snapshots for analytics.
create table crm_opportunity_stage_events (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  opportunity_id uuid not null,
  from_stage_id uuid,
  to_stage_id uuid,
  from_stage_key text,
  to_stage_key text not null,
  changed_by uuid references app_users(id) on delete set null,
  changed_at timestamptz not null default now(),
  note text,
  evidence_refs jsonb not null default '[]'::jsonb check (is_json_array(evidence_refs)),
  amount numeric(18,2),
  currency char(3) check (currency ~ '^[A-Z]{3}$'),
  probability int check (probability between 0 and 100),
  created_at timestamptz not null default now(),
  constraint crm_opportunity_stage_events_opportunity_fkey foreign key (project_id, opportunity_id)
    references crm_opportunities (project_id, id) on delete cascade,
  constraint crm_opportunity_stage_events_from_stage_fkey foreign key (project_id, from_stage_id)
    references crm_pipeline_stages (project_id, id) on delete set null (from_stage_id),
  constraint crm_opportunity_stage_events_to_stage_fkey foreign key (project_id, to_stage_id)
    references crm_pipeline_stages (project_id, id) on delete set null (to_stage_id)
);

create index crm_opportunity_stage_events_opportunity_idx on crm_opportunity_stage_events (opportunity_id, changed_at);
create index crm_opportunity_stage_events_project_id_changed_at_idx on crm_opportunity_stage_events (project_id, changed_at desc);

create trigger crm_opportunity_stage_events_scope_match
  before insert or update of project_id, account_scope_id on crm_opportunity_stage_events
  for each row execute function enforce_project_scope_match();

-- ---------------------------------------------------------------------------------------------
-- Signals and next-best-actions
-- ---------------------------------------------------------------------------------------------

-- Detected from messages (rules + similarity to example phrases). Re-detection is idempotent
-- through dedupe_key (recommended: '<signal_type>:<message_global_id>').
create table signals (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  signal_type text not null check (signal_type in
    ('pricing_question', 'buying_intent', 'churn_risk', 'complaint', 'competitor_mention', 'upsell', 'other')),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved', 'dismissed')),
  confidence double precision not null check (confidence between 0 and 1),
  account_id uuid,
  contact_global_id text,
  conversation_global_id text,
  message_global_id text,
  summary text,
  evidence_refs jsonb not null check (is_nonempty_json_array(evidence_refs)),
  detector text not null default 'rules' check (detector in ('rules', 'similarity', 'hybrid', 'manual')),
  detector_version text,
  dedupe_key text not null,
  -- When the evidence happened (the message time), not when it was detected.
  occurred_at timestamptz not null default now(),
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint signals_project_id_dedupe_key_key unique (project_id, dedupe_key),
  constraint signals_project_id_id_key unique (project_id, id),
  constraint signals_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete set null (account_id),
  constraint signals_contact_global_id_in_project check (is_project_global_id('cwc', contact_global_id, project_id)),
  constraint signals_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id)),
  constraint signals_message_global_id_in_project check (is_project_global_id('cwmsg', message_global_id, project_id))
);

create index signals_project_id_occurred_at_idx on signals (project_id, occurred_at desc);
create index signals_project_id_account_id_idx on signals (project_id, account_id, occurred_at desc);
create index signals_project_id_type_idx on signals (project_id, signal_type, occurred_at desc);
create index signals_project_id_conversation_idx on signals (project_id, conversation_global_id);
create index signals_project_id_open_idx on signals (project_id, signal_type) where status = 'open';

create trigger signals_scope_match
  before insert or update of project_id, account_scope_id on signals
  for each row execute function enforce_project_scope_match();
create trigger signals_set_updated_at
  before update on signals
  for each row execute function set_updated_at();

-- Per-type example phrases a project can edit; the embedding is cached for similarity detection.
create table signal_example_phrases (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  signal_type text not null check (signal_type in
    ('pricing_question', 'buying_intent', 'churn_risk', 'complaint', 'competitor_mention', 'upsell', 'other')),
  phrase text not null check (phrase <> ''),
  -- BCP 47 language tag, e.g. 'en', 'de'; null = any.
  language text,
  enabled boolean not null default true,
  embedding vector(1536),
  embedding_model text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint signal_example_phrases_project_id_type_phrase_key unique (project_id, signal_type, phrase)
);

create trigger signal_example_phrases_scope_match
  before insert or update of project_id, account_scope_id on signal_example_phrases
  for each row execute function enforce_project_scope_match();
create trigger signal_example_phrases_set_updated_at
  before update on signal_example_phrases
  for each row execute function set_updated_at();

-- Lifecycle open -> accepted | dismissed | done (accepted -> done). rule_key names the documented
-- rule that produced it; dedupe_key keeps the generator from raising the same live action twice.
create table next_best_actions (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid,
  contact_global_id text,
  conversation_global_id text,
  signal_id uuid,
  rule_key text not null,
  title text not null check (title <> ''),
  reason text not null,
  evidence_refs jsonb not null check (is_nonempty_json_array(evidence_refs)),
  -- 0..100, higher = more urgent.
  priority int not null default 50 check (priority between 0 and 100),
  due_at timestamptz,
  status text not null default 'open' check (status in ('open', 'accepted', 'dismissed', 'done')),
  assignee_user_id uuid references app_users(id) on delete set null,
  decided_by uuid references app_users(id) on delete set null,
  decided_at timestamptz,
  completed_at timestamptz,
  dismiss_reason text,
  dedupe_key text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint next_best_actions_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete set null (account_id),
  constraint next_best_actions_signal_fkey foreign key (project_id, signal_id)
    references signals (project_id, id) on delete set null (signal_id),
  constraint next_best_actions_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id)),
  constraint next_best_actions_conversation_global_id_in_project
    check (is_project_global_id('cw', conversation_global_id, project_id))
);

create unique index next_best_actions_live_dedupe_key_idx on next_best_actions (project_id, dedupe_key)
  where status in ('open', 'accepted') and dedupe_key is not null;
create index next_best_actions_inbox_idx on next_best_actions (project_id, status, priority desc, due_at);
create index next_best_actions_project_id_account_id_idx on next_best_actions (project_id, account_id);

create trigger next_best_actions_scope_match
  before insert or update of project_id, account_scope_id on next_best_actions
  for each row execute function enforce_project_scope_match();
create trigger next_best_actions_set_updated_at
  before update on next_best_actions
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Health and risk
-- ---------------------------------------------------------------------------------------------

-- Health measure weights per project. A project with no rows uses the app's defaults; a project
-- with rows must have them sum to 100 (checked at commit by a deferred constraint trigger, so a
-- transaction may rewrite several weights).
create table crm_health_weights (
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  measure text not null check (measure in
    ('reply_latency', 'unresolved_conversations', 'recent_signals', 'activity_recency', 'opportunity_state')),
  weight int not null check (weight between 0 and 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (project_id, measure)
);

create trigger crm_health_weights_scope_match
  before insert or update of project_id, account_scope_id on crm_health_weights
  for each row execute function enforce_project_scope_match();
create trigger crm_health_weights_set_updated_at
  before update on crm_health_weights
  for each row execute function set_updated_at();

-- SQLSTATE 23514, constraint 'crm_health_weights_sum_100'.
create function crm_health_weights_check_sum() returns trigger
language plpgsql as $$
declare
  v_project uuid;
  v_rows bigint;
  v_sum bigint;
begin
  if tg_op = 'DELETE' then
    v_project := old.project_id;
  else
    v_project := new.project_id;
  end if;
  select count(*), coalesce(sum(weight), 0) into v_rows, v_sum
  from crm_health_weights
  where project_id = v_project;
  if v_rows > 0 and v_sum <> 100 then
    raise exception 'health weights of project % sum to %, not 100', v_project, v_sum
      using errcode = 'check_violation',
            constraint = 'crm_health_weights_sum_100',
            table = 'crm_health_weights';
  end if;
  return null;
end
$$;

create constraint trigger crm_health_weights_sum_100
  after insert or update or delete on crm_health_weights
  deferrable initially deferred
  for each row execute function crm_health_weights_check_sum();

-- Score history (append one row per computation). Bands: healthy | at_risk | critical.
-- measures: json object keyed by measure, e.g. {"reply_latency": {"value": 3.5, "score": 80,
-- "weight": 20}}.
create table health_scores (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid not null,
  score double precision not null check (score between 0 and 100),
  band text not null check (band in ('healthy', 'at_risk', 'critical')),
  previous_score double precision check (previous_score between 0 and 100),
  previous_band text check (previous_band in ('healthy', 'at_risk', 'critical')),
  trend text not null default 'new' check (trend in ('up', 'flat', 'down', 'new')),
  measures jsonb not null default '{}'::jsonb check (jsonb_typeof(measures) = 'object'),
  evidence_refs jsonb not null default '[]'::jsonb check (is_json_array(evidence_refs)),
  computed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  constraint health_scores_project_id_id_key unique (project_id, id),
  constraint health_scores_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete cascade
);

create index health_scores_account_history_idx on health_scores (project_id, account_id, computed_at desc);
create index health_scores_project_id_computed_at_idx on health_scores (project_id, computed_at desc);

create trigger health_scores_scope_match
  before insert or update of project_id, account_scope_id on health_scores
  for each row execute function enforce_project_scope_match();

-- Accounts on the radar, ranked by risk_score (higher first), each with an explanation and
-- evidence. dedupe_key keeps one live item per cause (e.g. 'band_drop:<account_id>').
create table risk_radar_items (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid not null,
  kind text not null check (kind in ('band_drop', 'risk_signal', 'score_drop', 'manual')),
  status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved', 'dismissed')),
  risk_score double precision not null default 0,
  explanation text not null,
  evidence_refs jsonb not null check (is_nonempty_json_array(evidence_refs)),
  health_score_id uuid,
  signal_id uuid,
  from_band text check (from_band in ('healthy', 'at_risk', 'critical')),
  to_band text check (to_band in ('healthy', 'at_risk', 'critical')),
  dedupe_key text not null,
  detected_at timestamptz not null default now(),
  resolved_at timestamptz,
  resolved_by uuid references app_users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint risk_radar_items_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete cascade,
  constraint risk_radar_items_health_score_fkey foreign key (project_id, health_score_id)
    references health_scores (project_id, id) on delete set null (health_score_id),
  constraint risk_radar_items_signal_fkey foreign key (project_id, signal_id)
    references signals (project_id, id) on delete set null (signal_id)
);

create unique index risk_radar_items_live_dedupe_key_idx on risk_radar_items (project_id, dedupe_key)
  where status in ('open', 'acknowledged');
create index risk_radar_items_ranking_idx on risk_radar_items (project_id, status, risk_score desc);
create index risk_radar_items_project_id_account_id_idx on risk_radar_items (project_id, account_id);

create trigger risk_radar_items_scope_match
  before insert or update of project_id, account_scope_id on risk_radar_items
  for each row execute function enforce_project_scope_match();
create trigger risk_radar_items_set_updated_at
  before update on risk_radar_items
  for each row execute function set_updated_at();
