-- 0003: identity. Users, PIN-confirmed signup requests, settings, project membership, API tokens,
-- and a small shared rate-limit table (login / PIN throttling must hold across replicas).

create table app_users (
  id uuid primary key default gen_random_uuid(),
  username text not null unique,
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Extension: instance administrator (Telegram owner binding, user management).
  is_admin boolean not null default false,
  -- Extension: a disabled user cannot log in; users are disabled rather than deleted once they
  -- have decided approvals (offer_approvals.decided_by is a plain reference).
  disabled_at timestamptz
);

create trigger app_users_set_updated_at
  before update on app_users
  for each row execute function set_updated_at();

create table signup_requests (
  id uuid primary key default gen_random_uuid(),
  username text not null,
  password_hash text not null,
  pin_hash text not null,
  pin_salt text not null,
  attempt_count int not null default 0 check (attempt_count >= 0),
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);

create index signup_requests_username_created_at_idx on signup_requests (username, created_at desc);
create index signup_requests_expires_at_idx on signup_requests (expires_at);

create table app_settings (
  key text primary key,
  value text not null,
  updated_at timestamptz not null default now()
);

create trigger app_settings_set_updated_at
  before update on app_settings
  for each row execute function set_updated_at();

-- Fixed-window counters keyed by an app-chosen string, e.g. 'login:user:<name>',
-- 'login:ip:<addr>', 'signup:ip:<addr>'. Unscoped (happens before any project is known).
create table rate_limits (
  key text primary key,
  window_started_at timestamptz not null default now(),
  hits int not null default 0 check (hits >= 0),
  blocked_until timestamptz,
  updated_at timestamptz not null default now()
);

create index rate_limits_updated_at_idx on rate_limits (updated_at);

create trigger rate_limits_set_updated_at
  before update on rate_limits
  for each row execute function set_updated_at();

-- Who may see a project: its members. 'owner' and 'admin' manage sources, members and tokens.
create table project_members (
  project_id uuid not null references projects(id) on delete cascade,
  user_id uuid not null references app_users(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  role text not null check (role in ('owner', 'admin', 'member')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (project_id, user_id)
);

create index project_members_user_id_idx on project_members (user_id);

create trigger project_members_scope_match
  before insert or update of project_id, account_scope_id on project_members
  for each row execute function enforce_project_scope_match();
create trigger project_members_set_updated_at
  before update on project_members
  for each row execute function set_updated_at();

-- Personal API tokens, scoped to one project. Only a hash is stored; token_prefix (the first
-- characters of the token) lets a user recognise it in a list.
create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references projects(id) on delete cascade,
  account_scope_id uuid not null references account_scopes(id),
  user_id uuid not null references app_users(id) on delete cascade,
  name text not null,
  token_prefix text not null,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  expires_at timestamptz,
  revoked_at timestamptz
);

create index api_tokens_user_id_idx on api_tokens (user_id, created_at desc);
create index api_tokens_project_id_idx on api_tokens (project_id, created_at desc);

create trigger api_tokens_scope_match
  before insert or update of project_id, account_scope_id on api_tokens
  for each row execute function enforce_project_scope_match();
