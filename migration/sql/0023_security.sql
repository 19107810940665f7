-- 0023: what a shared service needs against a captured request or a leaked token.
--
-- A signed Chatwoot webhook is identified by what its signature covers (timestamp and body),
-- not only by the delivery id a replayer can change: `signed_digest` is sha256 of
-- "{timestamp}.{body}" and is unique per source.
alter table webhook_deliveries add column signed_digest text;
create unique index webhook_deliveries_source_id_signed_digest_key
  on webhook_deliveries (source_id, signed_digest)
  where signed_digest is not null;

-- API tokens carry scopes: `read` answers queries, `write` may also run mutations. Tokens made
-- before scopes existed keep being able to write, as they could when they were made.
alter table api_tokens add column scopes text[] not null default '{read}'
  check (cardinality(scopes) between 1 and 2 and scopes <@ array['read', 'write']::text[]);
update api_tokens set scopes = '{read,write}';

-- Four eyes on outbound messages, as the project's settings ask (`outbound_four_eyes`): the
-- service refuses an author's own approval, and this is the last line under it.
create function outbound_messages_four_eyes() returns trigger language plpgsql as $$
begin
  if new.approved_by is not null
     and new.approved_by is distinct from old.approved_by
     and new.approved_by = new.created_by
     and exists (select 1 from project_settings s
                 where s.project_id = new.project_id
                   and s.settings ->> 'outbound_four_eyes' = 'true') then
    raise exception 'outbound message % needs an approver other than its author', new.id
      using errcode = '23514', constraint = 'outbound_messages_four_eyes';
  end if;
  return new;
end $$;

create trigger outbound_messages_four_eyes
  before update of approved_by on outbound_messages
  for each row execute function outbound_messages_four_eyes();
