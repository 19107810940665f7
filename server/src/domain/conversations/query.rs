//! Reading the Chatwoot mirror: contacts, conversations (filtered, newest activity first) and a
//! conversation's messages (oldest first), with keyset pagination and total counts. Every
//! query is filtered by the scope's project.
use chrono::{DateTime, Utc};
use entity::{cw_contacts, cw_conversations, cw_messages};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, Statement, Value as DbValue};
use serde_json::Value;

use crate::kernel::{
    DomainError, Page, Scope,
    error::DomainResult,
    page::{decode_cursor, encode_cursor, micros, parse_micros},
};

/// A keyset position: the sort time of the last row seen (none for rows without one) and
/// its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// Sort time of the row.
    pub at: Option<DateTime<Utc>>,
    /// Global id of the row.
    pub id: String,
}

impl Cursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        encode_cursor(&[&micros(self.at), &self.id])
    }

    /// Reads a string made by [`Cursor::encode`]; `None` for anything else.
    pub fn decode(cursor: &str) -> Option<Self> {
        let [at, id] = decode_cursor::<2>(cursor)?;
        Some(Self {
            at: parse_micros(&at)?,
            id,
        })
    }
}

/// A Chatwoot contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// `cwc:` id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot contact id.
    pub contact_id: i64,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone_number: Option<String>,
    /// External identifier.
    pub identifier: Option<String>,
    /// Custom attributes.
    pub custom_attributes: Value,
    /// Raw Chatwoot payload.
    pub data: Value,
    /// Chatwoot's update time.
    pub updated_at: Option<DateTime<Utc>>,
    /// Chatwoot's creation time.
    pub created_at: DateTime<Utc>,
}

impl Contact {
    /// Its position in the contact listing.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.updated_at,
            id: self.id.clone(),
        }
    }
}

impl From<cw_contacts::Model> for Contact {
    fn from(m: cw_contacts::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            contact_id: m.contact_id,
            name: m.name,
            email: m.email,
            phone_number: m.phone_number,
            identifier: m.identifier,
            custom_attributes: m.custom_attributes,
            data: m.data,
            updated_at: m.updated_at.map(|t| t.with_timezone(&Utc)),
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// A Chatwoot conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    /// `cw:` id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: Option<i64>,
    /// Display id.
    pub conversation_id: Option<i64>,
    /// `cwc:` id of its contact.
    pub contact_global_id: Option<String>,
    /// Inbox.
    pub inbox_id: Option<i64>,
    /// open | resolved | pending | snoozed.
    pub status: Option<String>,
    /// Assigned agent.
    pub assignee_id: Option<i64>,
    /// Raw Chatwoot payload (labels, meta, ...).
    pub data: Value,
    /// Last activity.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl Conversation {
    /// Its position in the conversation listing.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.last_activity_at,
            id: self.id.clone(),
        }
    }
}

impl From<cw_conversations::Model> for Conversation {
    fn from(m: cw_conversations::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            conversation_id: m.conversation_id,
            contact_global_id: m.contact_global_id,
            inbox_id: m.inbox_id,
            status: m.status,
            assignee_id: m.assignee_id,
            data: m.data,
            last_activity_at: m.updated_at.map(|t| t.with_timezone(&Utc)),
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// A Chatwoot message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// `cwmsg:` id.
    pub id: String,
    /// Chatwoot message id.
    pub message_id: Option<i64>,
    /// `cw:` id of its conversation.
    pub conversation_global_id: Option<String>,
    /// `cwc:` id of its conversation's contact.
    pub contact_global_id: Option<String>,
    /// Contact | User | AgentBot.
    pub sender_type: Option<String>,
    /// Sender id.
    pub sender_id: Option<i64>,
    /// Private note.
    pub private: bool,
    /// incoming | outgoing | activity | template.
    pub message_type: Option<String>,
    /// Text; `None` for attachment-only messages (see `data.attachments`).
    pub content: Option<String>,
    /// Raw Chatwoot payload.
    pub data: Value,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Last edit.
    pub updated_at: Option<DateTime<Utc>>,
}

impl Message {
    /// Its position in the thread.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            at: self.created_at,
            id: self.id.clone(),
        }
    }
}

impl From<cw_messages::Model> for Message {
    fn from(m: cw_messages::Model) -> Self {
        Self {
            id: m.id,
            message_id: m.message_id,
            conversation_global_id: m.conversation_global_id,
            contact_global_id: m.contact_global_id,
            sender_type: m.sender_type,
            sender_id: m.sender_id,
            private: m.private,
            message_type: m.message_type,
            content: m.content,
            data: m.data,
            created_at: m.created_at.map(|t| t.with_timezone(&Utc)),
            updated_at: m.updated_at.map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Contact listing filter.
#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    /// Case-insensitive substring of name, email, phone or identifier.
    pub text: Option<String>,
}

/// Conversation listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// open | resolved | pending | snoozed.
    pub status: Option<String>,
    /// Inbox id.
    pub inbox_id: Option<i64>,
    /// Assigned agent id.
    pub assignee_id: Option<i64>,
    /// `cwc:` id of the contact.
    pub contact_global_id: Option<String>,
    /// Case-insensitive substring of a message or of the contact's name or email.
    pub text: Option<String>,
}

/// Builds a WHERE clause with numbered parameters.
struct Sql {
    conditions: Vec<String>,
    values: Vec<DbValue>,
}

impl Sql {
    fn new(scope: &Scope) -> Self {
        Self {
            conditions: vec!["project_id = $1".to_owned()],
            values: vec![scope.project_id().into()],
        }
    }

    fn param(&mut self, value: impl Into<DbValue>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    fn where_clause(&self) -> String {
        self.conditions.join(" and ")
    }
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Keyset condition after `cursor` on `(ts, id)`; `descending` means `ts desc nulls last, id
/// desc`, otherwise `ts asc nulls first, id asc`.
fn after_condition(sql: &mut Sql, ts: &str, cursor: &Cursor, descending: bool) -> String {
    let id = sql.param(cursor.id.clone());
    match (cursor.at, descending) {
        (Some(at), true) => {
            let at = sql.param(at);
            format!("({ts} < {at} or ({ts} = {at} and id < {id}) or {ts} is null)")
        }
        (None, true) => format!("({ts} is null and id < {id})"),
        (Some(at), false) => {
            let at = sql.param(at);
            format!("({ts} > {at} or ({ts} = {at} and id > {id}))")
        }
        (None, false) => format!("(({ts} is null and id > {id}) or {ts} is not null)"),
    }
}

/// Where a page starts: after `after` in the order on `column`.
struct Keyset<'a> {
    column: &'static str,
    after: &'a Cursor,
    descending: bool,
}

async fn count<C: ConnectionTrait>(db: &C, table: &str, sql: &Sql) -> DomainResult<u64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select count(*) as n from {table} where {}",
                sql.where_clause()
            ),
            sql.values.clone(),
        ))
        .await?
        .ok_or(DomainError::NotFound("count"))?;
    Ok(row.try_get::<i64>("", "n")?.max(0) as u64)
}

async fn page<C, E, T>(
    db: &C,
    table: &str,
    mut sql: Sql,
    order: &str,
    keyset: Option<Keyset<'_>>,
    first: u64,
) -> DomainResult<Page<T>>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: FromQueryResult + Into<T>,
{
    let total_count = count(db, table, &sql).await?;
    if let Some(keyset) = keyset {
        let condition = after_condition(&mut sql, keyset.column, keyset.after, keyset.descending);
        sql.and(condition);
    }
    let limit = sql.param(i64::try_from(first + 1).unwrap_or(i64::MAX));
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        format!(
            "select * from {table} where {} order by {order} limit {limit}",
            sql.where_clause()
        ),
        sql.values,
    );
    let rows = E::find().from_raw_sql(statement).all(db).await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// Contacts, most recently updated first.
pub async fn list_contacts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &ContactFilter,
    first: u64,
    after: Option<&Cursor>,
) -> DomainResult<Page<Contact>> {
    let mut sql = Sql::new(scope);
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = sql.param(like_pattern(text.trim()));
        sql.and(format!(
            "(name ilike {p} or email ilike {p} or phone_number ilike {p} or identifier ilike {p})"
        ));
    }
    let keyset = after.map(|after| Keyset {
        column: "updated_at",
        after,
        descending: true,
    });
    page::<_, cw_contacts::Entity, _>(
        db,
        "cw_contacts",
        sql,
        "updated_at desc nulls last, id desc",
        keyset,
        first,
    )
    .await
}

/// Conversations, newest activity first.
pub async fn list_conversations<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &ConversationFilter,
    first: u64,
    after: Option<&Cursor>,
) -> DomainResult<Page<Conversation>> {
    let mut sql = Sql::new(scope);
    if let Some(status) = &filter.status {
        let p = sql.param(status.clone());
        sql.and(format!("status = {p}"));
    }
    if let Some(inbox_id) = filter.inbox_id {
        let p = sql.param(inbox_id);
        sql.and(format!("inbox_id = {p}"));
    }
    if let Some(assignee_id) = filter.assignee_id {
        let p = sql.param(assignee_id);
        sql.and(format!("assignee_id = {p}"));
    }
    if let Some(contact) = &filter.contact_global_id {
        let p = sql.param(contact.clone());
        sql.and(format!("contact_global_id = {p}"));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = sql.param(like_pattern(text.trim()));
        sql.and(format!(
            "(exists (select 1 from cw_messages m where m.project_id = $1 \
                and m.conversation_global_id = cw_conversations.id and m.content ilike {p}) \
              or exists (select 1 from cw_contacts ct where ct.project_id = $1 \
                and ct.id = cw_conversations.contact_global_id \
                and (ct.name ilike {p} or ct.email ilike {p})))"
        ));
    }
    let keyset = after.map(|after| Keyset {
        column: "updated_at",
        after,
        descending: true,
    });
    page::<_, cw_conversations::Entity, _>(
        db,
        "cw_conversations",
        sql,
        "updated_at desc nulls last, id desc",
        keyset,
        first,
    )
    .await
}

/// A conversation's messages (private notes included), oldest first.
pub async fn list_messages<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    conversation_global_id: &str,
    first: u64,
    after: Option<&Cursor>,
) -> DomainResult<Page<Message>> {
    let mut sql = Sql::new(scope);
    let p = sql.param(conversation_global_id.to_owned());
    sql.and(format!("conversation_global_id = {p}"));
    let keyset = after.map(|after| Keyset {
        column: "created_at",
        after,
        descending: false,
    });
    page::<_, cw_messages::Entity, _>(
        db,
        "cw_messages",
        sql,
        "created_at asc nulls first, id asc",
        keyset,
        first,
    )
    .await
}

/// One contact by `cwc:` id.
pub async fn get_contact<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: &str,
) -> DomainResult<Contact> {
    use sea_orm::QueryFilter;
    cw_contacts::Entity::find_by_id(id.to_owned())
        .filter(scope.filter_for::<cw_contacts::Entity>())
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("contact"))
}

/// One conversation by `cw:` id.
pub async fn get_conversation<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: &str,
) -> DomainResult<Conversation> {
    use sea_orm::QueryFilter;
    cw_conversations::Entity::find_by_id(id.to_owned())
        .filter(scope.filter_for::<cw_conversations::Entity>())
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("conversation"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_with_and_without_a_time() {
        let with = Cursor {
            at: DateTime::from_timestamp_micros(1_736_154_000_123_456),
            id: "cw:x:1:2".to_owned(),
        };
        assert_eq!(Cursor::decode(&with.encode()), Some(with));
        let without = Cursor {
            at: None,
            id: "cwc:x:1:2".to_owned(),
        };
        assert_eq!(Cursor::decode(&without.encode()), Some(without));
        assert_eq!(Cursor::decode("garbage!"), None);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
