//! What happens after a campaign message is sent, read from the Chatwoot messages ingestion
//! stores: `delivered` when Chatwoot reports the message itself delivered (or read), and
//! `replied` when the member writes in the same conversation after it was sent. Each is
//! recorded once per member, in the transaction that stored the messages, so a crash loses
//! neither the message nor its event. A member's status only moves forward
//! (sent -> delivered -> replied).
use sea_orm::{ConnectionTrait, DbErr, Statement, Value as DbValue};

use crate::kernel::Scope;

/// What [`record_from_messages`] recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Engagement {
    /// New `delivered` events.
    pub delivered: u64,
    /// New `replied` events.
    pub replied: u64,
}

/// Records the deliveries and replies that the stored messages `message_ids` (inserted or
/// changed just now) show for the scope's campaign members.
pub async fn record_from_messages<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    message_ids: &[&str],
) -> Result<Engagement, DbErr> {
    if message_ids.is_empty() {
        return Ok(Engagement::default());
    }
    let ids = DbValue::from(serde_json::json!(message_ids));
    let delivered = record(db, scope, DELIVERED, ids.clone()).await?;
    let replied = record(db, scope, REPLIED, ids).await?;
    Ok(Engagement { delivered, replied })
}

/// Campaign messages among the stored ones that Chatwoot reports delivered or read.
const DELIVERED: &str = "\
with found as ( \
  select distinct on (b.id) b.id as member_id, b.campaign_id, b.contact_global_id, \
         o.id as outbound_id, m.id as message_id, coalesce(m.updated_at, now()) as at, \
         m.data ->> 'status' as chatwoot_status \
  from cw_messages m \
  join outbound_messages o on o.project_id = m.project_id \
   and o.chatwoot_message_id = m.message_id \
   and o.conversation_global_id = m.conversation_global_id and o.status = 'sent' \
  join campaign_members b on b.project_id = o.project_id and b.outbound_message_id = o.id \
  where m.project_id = $1 and m.account_scope_id = $2 \
    and m.id in (select jsonb_array_elements_text($3::jsonb)) \
    and m.message_type = 'outgoing' and m.data ->> 'status' in ('delivered', 'read') \
    and not exists (select 1 from campaign_events e \
                    where e.member_id = b.id and e.event_type = 'delivered') \
  order by b.id), \
events as ( \
  insert into campaign_events (project_id, account_scope_id, campaign_id, member_id, \
    contact_global_id, event_type, outbound_message_id, occurred_at, meta) \
  select $1, $2, campaign_id, member_id, contact_global_id, 'delivered', outbound_id, at, \
    jsonb_build_object('message_id', message_id, 'chatwoot_status', chatwoot_status) \
  from found returning member_id, occurred_at), \
moved as ( \
  update campaign_members b set status = 'delivered', last_event_at = e.occurred_at \
  from events e where b.id = e.member_id and b.status = 'sent' returning b.id) \
select count(*) as recorded from events";

/// Customer messages among the stored ones written after a campaign message in its
/// conversation: the first one counts as the member's reply.
const REPLIED: &str = "\
with found as ( \
  select distinct on (b.id) b.id as member_id, b.campaign_id, b.contact_global_id, \
         o.id as outbound_id, m.id as message_id, m.created_at as at \
  from cw_messages m \
  join outbound_messages o on o.project_id = m.project_id \
   and o.contact_global_id = m.contact_global_id \
   and o.conversation_global_id = m.conversation_global_id \
   and o.status = 'sent' and o.sent_at <= m.created_at \
  join campaign_members b on b.project_id = o.project_id and b.outbound_message_id = o.id \
  where m.project_id = $1 and m.account_scope_id = $2 \
    and m.id in (select jsonb_array_elements_text($3::jsonb)) \
    and m.message_type = 'incoming' and not m.private \
    and not exists (select 1 from campaign_events e \
                    where e.member_id = b.id and e.event_type = 'replied') \
  order by b.id, m.created_at), \
events as ( \
  insert into campaign_events (project_id, account_scope_id, campaign_id, member_id, \
    contact_global_id, event_type, outbound_message_id, occurred_at, meta) \
  select $1, $2, campaign_id, member_id, contact_global_id, 'replied', outbound_id, at, \
    jsonb_build_object('message_id', message_id) \
  from found returning member_id, occurred_at), \
moved as ( \
  update campaign_members b set status = 'replied', last_event_at = e.occurred_at \
  from events e where b.id = e.member_id and b.status in ('sent', 'delivered') returning b.id) \
select count(*) as recorded from events";

async fn record<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    sql: &str,
    ids: DbValue,
) -> Result<u64, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                ids,
            ],
        ))
        .await?;
    let recorded: i64 = match row {
        Some(row) => row.try_get("", "recorded")?,
        None => 0,
    };
    Ok(u64::try_from(recorded).unwrap_or_default())
}
