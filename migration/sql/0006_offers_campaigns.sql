-- 0006: offers with line items and approvals; campaigns with segments, members and events.
-- Sending goes through outbound_messages (0004).

-- ---------------------------------------------------------------------------------------------
-- Offers: draft -> pending_approval -> approved | rejected -> sent -> accepted | declined | expired
-- ---------------------------------------------------------------------------------------------

-- Money: numeric(18,2) in the offer's currency (items have no currency of their own). Totals are
-- computed by the server and stored.
create table offers (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  account_id uuid,
  opportunity_id uuid,
  -- Recipient.
  contact_global_id text,
  title text not null check (title <> ''),
  currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
  subtotal numeric(18,2) not null default 0 check (subtotal >= 0),
  discount_total numeric(18,2) not null default 0 check (discount_total >= 0),
  total numeric(18,2) not null default 0 check (total >= 0),
  -- Largest line discount in percent; compared with project_settings.offer_discount_approval_threshold.
  max_discount_pct numeric(5,2) not null default 0 check (max_discount_pct between 0 and 100),
  -- Set by the server from the approval policy when the offer is submitted: the approver must
  -- then be someone other than created_by (enforced on offer_approvals).
  requires_approval boolean not null default false,
  status text not null default 'draft' check (status in
    ('draft', 'pending_approval', 'approved', 'rejected', 'sent', 'accepted', 'declined', 'expired')),
  valid_until timestamptz,
  terms text,
  notes text,
  created_by uuid references app_users(id) on delete set null,
  submitted_at timestamptz,
  approved_at timestamptz,
  rejected_at timestamptz,
  sent_at timestamptz,
  -- When the customer accepted or declined, or when it expired.
  closed_at timestamptz,
  -- The outbound message that carried it.
  outbound_message_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offers_project_id_id_key unique (project_id, id),
  constraint offers_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete set null (account_id),
  constraint offers_opportunity_fkey foreign key (project_id, opportunity_id)
    references crm_opportunities (project_id, id) on delete set null (opportunity_id),
  constraint offers_outbound_message_fkey foreign key (project_id, outbound_message_id)
    references outbound_messages (project_id, id) on delete set null (outbound_message_id),
  constraint offers_sent_requires_approval
    check (status not in ('approved', 'sent', 'accepted', 'declined') or approved_at is not null),
  constraint offers_contact_global_id_in_project check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index offers_project_id_status_idx on offers (project_id, status, created_at desc);
create index offers_project_id_account_id_idx on offers (project_id, account_id);
create index offers_project_id_opportunity_id_idx on offers (project_id, opportunity_id);

create trigger offers_scope_match
  before insert or update of project_id, account_scope_id on offers
  for each row execute function enforce_project_scope_match();
create trigger offers_set_updated_at
  before update on offers
  for each row execute function set_updated_at();

create table offer_items (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  offer_id uuid not null,
  position int not null check (position >= 0),
  name text not null check (name <> ''),
  description text,
  sku text,
  quantity numeric(18,4) not null check (quantity > 0),
  unit_price numeric(18,2) not null check (unit_price >= 0),
  discount_pct numeric(5,2) not null default 0 check (discount_pct between 0 and 100),
  -- quantity * unit_price * (1 - discount_pct/100), rounded by the server.
  line_total numeric(18,2) not null check (line_total >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint offer_items_offer_id_position_key unique (offer_id, position) deferrable initially deferred,
  constraint offer_items_offer_fkey foreign key (project_id, offer_id)
    references offers (project_id, id) on delete cascade
);

create trigger offer_items_scope_match
  before insert or update of project_id, account_scope_id on offer_items
  for each row execute function enforce_project_scope_match();
create trigger offer_items_set_updated_at
  before update on offer_items
  for each row execute function set_updated_at();

-- Every approval decision. decided_by is required, so a user who decided cannot be deleted
-- (disable them instead: app_users.disabled_at).
create table offer_approvals (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  offer_id uuid not null,
  decision text not null check (decision in ('approved', 'rejected')),
  decided_by uuid not null references app_users(id),
  comment text,
  evidence_refs jsonb not null default '[]'::jsonb check (is_json_array(evidence_refs)),
  -- The policy as applied (threshold, max discount, requires_approval) for later review.
  policy jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint offer_approvals_offer_fkey foreign key (project_id, offer_id)
    references offers (project_id, id) on delete cascade
);

create index offer_approvals_offer_id_idx on offer_approvals (offer_id, created_at);
create index offer_approvals_project_id_created_at_idx on offer_approvals (project_id, created_at desc);

create trigger offer_approvals_scope_match
  before insert or update of project_id, account_scope_id on offer_approvals
  for each row execute function enforce_project_scope_match();

-- The four-eyes rule: an offer that requires approval cannot be approved by its author.
-- SQLSTATE 23514, constraint 'offer_approvals_not_self_approved'.
create function offer_approvals_not_self_approved() returns trigger
language plpgsql as $$
declare
  v_author uuid;
  v_requires boolean;
begin
  if new.decision <> 'approved' then
    return new;
  end if;
  select o.created_by, o.requires_approval into v_author, v_requires
  from offers o
  where o.project_id = new.project_id and o.id = new.offer_id;
  if v_requires and v_author is not distinct from new.decided_by then
    raise exception 'offer % requires an approver other than its author', new.offer_id
      using errcode = 'check_violation',
            constraint = 'offer_approvals_not_self_approved',
            table = 'offer_approvals';
  end if;
  return new;
end
$$;

create trigger offer_approvals_not_self_approved
  before insert or update on offer_approvals
  for each row execute function offer_approvals_not_self_approved();

-- ---------------------------------------------------------------------------------------------
-- Campaigns: draft -> pending_approval -> scheduled -> running <-> paused -> finished (| cancelled)
-- ---------------------------------------------------------------------------------------------

-- A reusable segment: definition is a typed filter tree (and/or/not over contact and account
-- attributes, labels, inboxes, health band, signals, last activity) as a json object.
create table campaign_segments (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  name text not null check (name <> ''),
  description text,
  definition jsonb not null default '{}'::jsonb check (jsonb_typeof(definition) = 'object'),
  last_count int check (last_count >= 0),
  last_counted_at timestamptz,
  created_by uuid references app_users(id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaign_segments_project_id_name_key unique (project_id, name),
  constraint campaign_segments_project_id_id_key unique (project_id, id)
);

create trigger campaign_segments_scope_match
  before insert or update of project_id, account_scope_id on campaign_segments
  for each row execute function enforce_project_scope_match();
create trigger campaign_segments_set_updated_at
  before update on campaign_segments
  for each row execute function set_updated_at();

create table campaigns (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  name text not null check (name <> ''),
  description text,
  channel text not null check (channel ~ '^[a-z][a-z0-9_]*$'),
  status text not null default 'draft' check (status in
    ('draft', 'pending_approval', 'scheduled', 'running', 'paused', 'cancelled', 'finished')),
  segment_id uuid,
  -- The segment definition as it was when members were snapshotted.
  segment_snapshot jsonb,
  message_template text not null default '',
  -- Sending pace; null = as fast as the outbound pipeline allows.
  send_rate_per_minute int check (send_rate_per_minute > 0),
  created_by uuid references app_users(id) on delete set null,
  approved_by uuid references app_users(id) on delete set null,
  approved_at timestamptz,
  scheduled_at timestamptz,
  started_at timestamptz,
  paused_at timestamptz,
  finished_at timestamptz,
  cancelled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaigns_project_id_id_key unique (project_id, id),
  constraint campaigns_segment_fkey foreign key (project_id, segment_id)
    references campaign_segments (project_id, id) on delete set null (segment_id),
  constraint campaigns_run_requires_approval
    check (status not in ('scheduled', 'running', 'paused', 'finished') or approved_at is not null)
);

create index campaigns_project_id_status_idx on campaigns (project_id, status, created_at desc);
create index campaigns_due_idx on campaigns (scheduled_at) where status = 'scheduled';

create trigger campaigns_scope_match
  before insert or update of project_id, account_scope_id on campaigns
  for each row execute function enforce_project_scope_match();
create trigger campaigns_set_updated_at
  before update on campaigns
  for each row execute function set_updated_at();

-- Members snapshotted when the campaign starts; status is the member's latest state, so
-- pause/resume continues with the 'pending' ones and nobody is sent twice.
create table campaign_members (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  campaign_id uuid not null,
  contact_global_id text not null,
  account_id uuid,
  status text not null default 'pending' check (status in
    ('pending', 'queued', 'sent', 'delivered', 'replied', 'failed', 'opted_out', 'skipped')),
  outbound_message_id uuid,
  -- Contact/account attributes at snapshot time (for the template and the report).
  snapshot jsonb not null default '{}'::jsonb,
  last_event_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint campaign_members_campaign_id_contact_global_id_key unique (campaign_id, contact_global_id),
  constraint campaign_members_project_id_id_key unique (project_id, id),
  constraint campaign_members_campaign_fkey foreign key (project_id, campaign_id)
    references campaigns (project_id, id) on delete cascade,
  constraint campaign_members_account_fkey foreign key (project_id, account_id)
    references crm_accounts (project_id, id) on delete set null (account_id),
  constraint campaign_members_outbound_message_fkey foreign key (project_id, outbound_message_id)
    references outbound_messages (project_id, id) on delete set null (outbound_message_id),
  constraint campaign_members_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index campaign_members_campaign_id_status_idx on campaign_members (campaign_id, status);
create index campaign_members_outbound_message_id_idx on campaign_members (outbound_message_id)
  where outbound_message_id is not null;

create trigger campaign_members_scope_match
  before insert or update of project_id, account_scope_id on campaign_members
  for each row execute function enforce_project_scope_match();
create trigger campaign_members_set_updated_at
  before update on campaign_members
  for each row execute function set_updated_at();

create table campaign_events (
  id bigserial primary key,
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  campaign_id uuid not null,
  member_id uuid,
  contact_global_id text,
  event_type text not null check (event_type in
    ('queued', 'sent', 'delivered', 'replied', 'failed', 'opted_out')),
  outbound_message_id uuid,
  occurred_at timestamptz not null default now(),
  meta jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint campaign_events_campaign_fkey foreign key (project_id, campaign_id)
    references campaigns (project_id, id) on delete cascade,
  constraint campaign_events_member_fkey foreign key (project_id, member_id)
    references campaign_members (project_id, id) on delete cascade,
  constraint campaign_events_outbound_message_fkey foreign key (project_id, outbound_message_id)
    references outbound_messages (project_id, id) on delete set null (outbound_message_id),
  constraint campaign_events_contact_global_id_in_project
    check (is_project_global_id('cwc', contact_global_id, project_id))
);

create index campaign_events_campaign_id_occurred_at_idx on campaign_events (campaign_id, occurred_at);
create index campaign_events_campaign_id_type_idx on campaign_events (campaign_id, event_type);
create index campaign_events_member_id_idx on campaign_events (member_id) where member_id is not null;

create trigger campaign_events_scope_match
  before insert or update of project_id, account_scope_id on campaign_events
  for each row execute function enforce_project_scope_match();
