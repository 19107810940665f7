-- 0022: find a sent campaign message by the id Chatwoot gave it.
--
-- Ingestion records a campaign member as `delivered` when a stored Chatwoot message is one of
-- our sent messages with status delivered/read; without this index that lookup reads every
-- sent message of the project for each synced page.
create index outbound_messages_chatwoot_message_idx
  on outbound_messages (project_id, chatwoot_message_id)
  where chatwoot_message_id is not null;
