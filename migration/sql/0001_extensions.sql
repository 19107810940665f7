-- 0001: extensions and the helper functions every later file relies on.
--
-- Conventions for the whole schema (read once, they hold in every file):
-- * lowercase SQL; every file runs once, inside one transaction (the migrator records it in
--   schema_migrations, which the migrator creates itself).
-- * A "scoped" table carries `project_id uuid not null references projects(id) on delete cascade`
--   and `account_scope_id uuid not null references account_scopes(id)`, and has the trigger
--   `<table>_scope_match` (enforce_project_scope_match below).
-- * `updated_at` is kept by the trigger `<table>_set_updated_at` (set_updated_at below), except on
--   the cw_* tables, whose created_at/updated_at are Chatwoot's own timestamps.
-- * References between scoped tables are composite foreign keys `(project_id, x_id) references
--   t(project_id, id)`, so a row can never point at another project's row; every referenced table
--   has `unique (project_id, id)` for that.
-- * Chatwoot global ids embed the project (`cwc:<project_id>:...`, `cw:...`, `cwmsg:...`); columns
--   holding them are checked with is_project_global_id() so they can only name the row's project.
-- * Evidence references are jsonb arrays; the recommended element shape is
--   `{"kind": <evidence_items.source_kind>, "id": <source id>}` (plus optional "quote").

create extension if not exists pgcrypto;
create extension if not exists vector;

-- Keeps `updated_at` current on every UPDATE (attached BEFORE UPDATE).
create function set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

-- Tenancy guard, attached BEFORE INSERT OR UPDATE OF project_id, account_scope_id to every scoped
-- table. A row's account_scope_id must be the account scope of its project; a write that names
-- another scope (or a project that does not exist) is rejected with
--   SQLSTATE 23514 (check_violation), constraint name 'project_scope_match',
--   message 'project scope mismatch on <table>: ...'.
-- The check is skipped only when both columns are null (audit_events allows system-wide rows);
-- on the other tables NOT NULL then rejects the row.
-- An UPDATE that does not set either column cannot change them, so the trigger only fires for
-- updates that name them (saves a lookup on hot updates such as embedding writes).
create function enforce_project_scope_match() returns trigger
language plpgsql as $$
declare
  v_project_scope uuid;
begin
  if new.project_id is null and new.account_scope_id is null then
    return new;
  end if;

  select p.account_scope_id into v_project_scope
  from projects p
  where p.id = new.project_id;

  if not found then
    raise exception 'project scope mismatch on %: project % does not exist', tg_table_name, new.project_id
      using errcode = 'check_violation',
            constraint = 'project_scope_match',
            table = tg_table_name;
  end if;

  if v_project_scope is distinct from new.account_scope_id then
    raise exception 'project scope mismatch on %: project % belongs to account scope %, not %',
        tg_table_name, new.project_id, v_project_scope, new.account_scope_id
      using errcode = 'check_violation',
            constraint = 'project_scope_match',
            table = tg_table_name;
  end if;

  return new;
end
$$;

-- True when `global_id` is null or is a Chatwoot global id of `kind` ('cwc', 'cw', 'cwmsg')
-- inside `project_id` (`<kind>:<project_id>:...`). Used by check constraints.
create function is_project_global_id(kind text, global_id text, project_id uuid) returns boolean
language sql immutable parallel safe as $$
  select global_id is null or starts_with(global_id, kind || ':' || project_id::text || ':')
$$;

-- True when `refs` is a json array with at least one element (evidence is mandatory).
-- Written with CASE so a non-array is a plain `false` (a check violation), not an error.
create function is_nonempty_json_array(refs jsonb) returns boolean
language sql immutable parallel safe as $$
  select case when jsonb_typeof(refs) = 'array' then jsonb_array_length(refs) >= 1 else false end
$$;

-- True when `refs` is a json array (possibly empty).
create function is_json_array(refs jsonb) returns boolean
language sql immutable parallel safe as $$
  select coalesce(jsonb_typeof(refs) = 'array', false)
$$;
