//! Chatwoot payload -> `cw_*` rows. One normaliser for REST pages and webhook bodies: it reads
//! both forms (integer or string `message_type`, unix-seconds or ISO-8601 times, ids as numbers
//! or strings) and keeps the raw payload as the row's `data`.
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::conversations::ids::AccountRef;
use crate::integrations::chatwoot::payload::lenient_i64;

/// Why a payload item could not become a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// The item is not a JSON object.
    #[error("{0} is not a JSON object")]
    NotAnObject(&'static str),
    /// The item has no positive integer `id`.
    #[error("{0} has no usable id")]
    MissingId(&'static str),
}

/// Reads a Chatwoot time: unix seconds (number or numeric string) or an ISO-8601 string.
pub fn timestamp(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => {
            let seconds = n.as_f64()?;
            // 0 is how Chatwoot renders a nil time with `.to_i`.
            if seconds <= 0.0 {
                return None;
            }
            DateTime::from_timestamp_micros((seconds * 1_000_000.0).round() as i64)
        }
        Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<f64>() {
                return timestamp(&Value::from(n));
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                return Some(t.with_timezone(&Utc));
            }
            // Ruby's default Time#to_s: "2025-01-06 09:00:00 UTC" / "... +0000".
            if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z") {
                return Some(t.with_timezone(&Utc));
            }
            let naive = s.strip_suffix(" UTC").unwrap_or(s);
            NaiveDateTime::parse_from_str(naive, "%Y-%m-%d %H:%M:%S")
                .ok()
                .map(|t| t.and_utc())
        }
        _ => None,
    }
}

fn object<'a>(
    raw: &'a Value,
    what: &'static str,
) -> Result<&'a Map<String, Value>, NormalizeError> {
    raw.as_object().ok_or(NormalizeError::NotAnObject(what))
}

fn id_of(obj: &Map<String, Value>, what: &'static str) -> Result<i64, NormalizeError> {
    obj.get("id")
        .and_then(lenient_i64)
        .filter(|id| *id > 0)
        .ok_or(NormalizeError::MissingId(what))
}

/// A non-empty string field.
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn int(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    obj.get(key).and_then(lenient_i64)
}

fn time(obj: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    obj.get(key).and_then(timestamp)
}

/// A `cw_contacts` row (serialised into the batched upsert).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactRow {
    /// `cwc:` global id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot contact id.
    pub contact_id: i64,
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Phone number.
    pub phone_number: Option<String>,
    /// External identifier.
    pub identifier: Option<String>,
    /// `custom_attributes` (an object).
    pub custom_attributes: Value,
    /// The raw payload.
    pub data: Value,
    /// Chatwoot's `updated_at`.
    pub updated_at: Option<DateTime<Utc>>,
    /// Chatwoot's `created_at`.
    pub created_at: Option<DateTime<Utc>>,
}

/// A contact payload (list item, `meta.sender`, or webhook body) as a row.
pub fn contact(account: &AccountRef, raw: &Value) -> Result<ContactRow, NormalizeError> {
    let obj = object(raw, "contact")?;
    let contact_id = id_of(obj, "contact")?;
    Ok(ContactRow {
        id: account.contact(contact_id),
        account_id: account.account_id,
        contact_id,
        name: text(obj, "name"),
        email: text(obj, "email"),
        phone_number: text(obj, "phone_number"),
        identifier: text(obj, "identifier"),
        custom_attributes: obj
            .get("custom_attributes")
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
        data: raw.clone(),
        updated_at: time(obj, "updated_at"),
        created_at: time(obj, "created_at"),
    })
}

/// A contact's `last_activity_at` in unix seconds (drives incremental contact paging).
pub fn contact_activity(raw: &Value) -> Option<i64> {
    raw.get("last_activity_at")
        .and_then(timestamp)
        .map(|t| t.timestamp())
}

/// A `cw_conversations` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationRow {
    /// `cw:` global id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Display id.
    pub conversation_id: i64,
    /// `cwc:` id of the conversation's contact.
    pub contact_global_id: Option<String>,
    /// Inbox id.
    pub inbox_id: Option<i64>,
    /// open | resolved | pending | snoozed.
    pub status: Option<String>,
    /// Assigned agent id.
    pub assignee_id: Option<i64>,
    /// The raw payload.
    pub data: Value,
    /// Last activity (`timestamp` / `last_activity_at`).
    pub updated_at: Option<DateTime<Utc>>,
    /// Chatwoot's `created_at`.
    pub created_at: Option<DateTime<Utc>>,
}

/// A conversation with what the sync needs next to its row.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedConversation {
    /// The row.
    pub row: ConversationRow,
    /// Its contact, from `meta.sender` (the only place anonymous widget contacts appear).
    pub sender: Option<ContactRow>,
    /// Display id.
    pub display_id: i64,
    /// Last activity in unix seconds.
    pub activity: Option<i64>,
}

impl NormalizedConversation {
    /// What messages of this conversation link to.
    pub fn link(&self) -> ConversationLink {
        ConversationLink {
            display_id: self.display_id,
            global_id: self.row.id.clone(),
            contact_global_id: self.row.contact_global_id.clone(),
        }
    }
}

/// A conversation payload (list item or webhook `push_event_data`) as a row plus its contact.
pub fn conversation(
    account: &AccountRef,
    raw: &Value,
) -> Result<NormalizedConversation, NormalizeError> {
    let obj = object(raw, "conversation")?;
    let display_id = id_of(obj, "conversation")?;
    let meta = obj.get("meta").and_then(Value::as_object);
    let sender = meta
        .and_then(|m| m.get("sender"))
        .filter(|s| s.is_object())
        .and_then(|s| contact(account, s).ok());
    let contact_id = sender.as_ref().map(|s| s.contact_id).or_else(|| {
        obj.get("contact_inbox")
            .and_then(Value::as_object)
            .and_then(|ci| int(ci, "contact_id"))
            .or_else(|| int(obj, "contact_id"))
    });
    let assignee_id = meta
        .and_then(|m| m.get("assignee"))
        .and_then(Value::as_object)
        .and_then(|a| int(a, "id"))
        .or_else(|| int(obj, "assignee_id"));
    let updated_at = time(obj, "timestamp")
        .or_else(|| time(obj, "last_activity_at"))
        .or_else(|| time(obj, "updated_at"));
    let row = ConversationRow {
        id: account.conversation(display_id),
        account_id: account.account_id,
        conversation_id: display_id,
        contact_global_id: contact_id
            .filter(|id| *id > 0)
            .map(|id| account.contact(id)),
        inbox_id: int(obj, "inbox_id"),
        status: text(obj, "status"),
        assignee_id,
        data: raw.clone(),
        updated_at,
        created_at: time(obj, "created_at"),
    };
    Ok(NormalizedConversation {
        activity: updated_at.map(|t| t.timestamp()),
        row,
        sender,
        display_id,
    })
}

/// What a message links to: its conversation and the conversation's contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationLink {
    /// Display id.
    pub display_id: i64,
    /// `cw:` id.
    pub global_id: String,
    /// `cwc:` id of the conversation's contact.
    pub contact_global_id: Option<String>,
}

/// A `cw_messages` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    /// `cwmsg:` global id.
    pub id: String,
    /// Chatwoot account id.
    pub account_id: i64,
    /// Chatwoot message id.
    pub message_id: i64,
    /// Conversation display id.
    pub conversation_id: Option<i64>,
    /// `cw:` id of the conversation.
    pub conversation_global_id: Option<String>,
    /// `cwc:` id of the conversation's contact.
    pub contact_global_id: Option<String>,
    /// Contact | User | AgentBot.
    pub sender_type: Option<String>,
    /// Sender id.
    pub sender_id: Option<i64>,
    /// Private note.
    pub private: bool,
    /// incoming | outgoing | activity | template.
    pub message_type: Option<String>,
    /// Text (null for attachment-only messages).
    pub content: Option<String>,
    /// The raw payload.
    pub data: Value,
    /// Chatwoot's creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Last edit (creation time when the payload has none).
    pub updated_at: Option<DateTime<Utc>>,
}

/// REST sends integers, webhooks send names; the table stores names.
fn message_type(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(
            match n.as_i64()? {
                0 => "incoming",
                1 => "outgoing",
                2 => "activity",
                3 => "template",
                _ => return Some(n.to_string()),
            }
            .to_owned(),
        ),
        Value::String(s) if !s.is_empty() => Some(s.to_ascii_lowercase()),
        _ => None,
    }
}

/// `sender.type` of push payloads ("contact", "user", "agent_bot") as the model name.
fn sender_type_from_push(kind: &str) -> String {
    match kind {
        "contact" => "Contact".to_owned(),
        "user" => "User".to_owned(),
        "agent_bot" => "AgentBot".to_owned(),
        other => other.to_owned(),
    }
}

/// A message payload (REST item or webhook body) as a row. `link` is the conversation the
/// REST request was for; webhook bodies carry their own `conversation`.
pub fn message(
    account: &AccountRef,
    raw: &Value,
    link: Option<&ConversationLink>,
) -> Result<MessageRow, NormalizeError> {
    let obj = object(raw, "message")?;
    let message_id = id_of(obj, "message")?;
    let embedded = obj
        .get("conversation")
        .filter(|c| c.is_object())
        .and_then(|c| conversation(account, c).ok())
        .map(|c| c.link());
    let link = link.cloned().or(embedded);
    let display_id = int(obj, "conversation_id").or(link.as_ref().map(|l| l.display_id));
    let sender = obj.get("sender").and_then(Value::as_object);
    let contact_global_id = link
        .as_ref()
        .and_then(|l| l.contact_global_id.clone())
        .or_else(|| {
            obj.get("contact")
                .and_then(Value::as_object)
                .and_then(|c| int(c, "id"))
                .map(|id| account.contact(id))
        })
        .or_else(|| {
            sender
                .filter(|s| s.get("type").and_then(Value::as_str) == Some("contact"))
                .and_then(|s| int(s, "id"))
                .map(|id| account.contact(id))
        });
    let sender_type = text(obj, "sender_type").or_else(|| {
        sender
            .and_then(|s| s.get("type"))
            .and_then(Value::as_str)
            .map(sender_type_from_push)
    });
    let sender_id = int(obj, "sender_id").or_else(|| sender.and_then(|s| int(s, "id")));
    let private = match obj.get("private") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    let created_at = time(obj, "created_at");
    Ok(MessageRow {
        id: account.message(message_id),
        account_id: account.account_id,
        message_id,
        conversation_id: display_id,
        conversation_global_id: display_id.map(|id| account.conversation(id)),
        contact_global_id,
        sender_type,
        sender_id,
        private,
        message_type: message_type(obj.get("message_type")),
        content: obj
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_owned),
        data: raw.clone(),
        created_at,
        updated_at: time(obj, "updated_at").or(created_at),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    fn account() -> AccountRef {
        AccountRef {
            project_id: Uuid::nil(),
            account_id: 3,
        }
    }

    #[test]
    fn timestamps_accept_unix_seconds_iso_and_ruby_strings() {
        let expected = DateTime::from_timestamp(1_736_154_000, 0);
        assert_eq!(timestamp(&json!(1_736_154_000)), expected);
        assert_eq!(timestamp(&json!("1736154000")), expected);
        assert_eq!(timestamp(&json!("2025-01-06T09:00:00.000Z")), expected);
        assert_eq!(timestamp(&json!("2025-01-06 09:00:00 UTC")), expected);
        assert_eq!(timestamp(&json!(0)), None);
        assert_eq!(timestamp(&json!(null)), None);
    }

    #[test]
    fn rest_and_webhook_messages_normalise_alike() {
        let rest = json!({
            "id": 901, "content": null, "conversation_id": 4, "message_type": 0,
            "created_at": 1_736_154_000, "private": false, "sender_type": "Contact",
            "sender_id": 17, "attachments": [{ "id": 1, "file_type": "image" }]
        });
        let link = ConversationLink {
            display_id: 4,
            global_id: account().conversation(4),
            contact_global_id: Some(account().contact(17)),
        };
        let row = message(&account(), &rest, Some(&link)).expect("valid message");
        assert_eq!(row.content, None);
        assert_eq!(row.message_type.as_deref(), Some("incoming"));
        assert_eq!(row.contact_global_id, Some(account().contact(17)));

        let webhook = json!({
            "id": 901, "content": "hi", "message_type": "incoming",
            "created_at": "2025-01-06T09:00:00.000Z", "private": false,
            "sender": { "id": 17, "type": "contact" },
            "conversation": { "id": 4, "meta": { "sender": { "id": 17, "name": "A" } } },
            "account": { "id": 3 }
        });
        let row2 = message(&account(), &webhook, None).expect("valid message");
        assert_eq!(row2.id, row.id);
        assert_eq!(row2.created_at, row.created_at);
        assert_eq!(row2.conversation_global_id, row.conversation_global_id);
        assert_eq!(row2.contact_global_id, row.contact_global_id);
        assert_eq!(row2.sender_type.as_deref(), Some("Contact"));
        assert_eq!(row2.message_type, row.message_type);
    }

    #[test]
    fn a_conversation_yields_its_anonymous_sender_as_a_contact() {
        let raw = json!({
            "id": 12, "inbox_id": 31, "status": "open", "timestamp": 1_736_154_060,
            "created_at": 1_736_154_000,
            "meta": { "sender": { "id": 55, "name": "small-frost-826", "email": null },
                      "assignee": { "id": 301 } }
        });
        let c = conversation(&account(), &raw).expect("valid conversation");
        assert_eq!(c.row.contact_global_id, Some(account().contact(55)));
        assert_eq!(c.row.assignee_id, Some(301));
        assert_eq!(c.activity, Some(1_736_154_060));
        let sender = c.sender.expect("sender contact");
        assert_eq!(sender.email, None);
        assert_eq!(sender.name.as_deref(), Some("small-frost-826"));
    }

    #[test]
    fn items_without_ids_are_refused() {
        assert_eq!(
            contact(&account(), &json!({ "name": "x" })),
            Err(NormalizeError::MissingId("contact"))
        );
        assert_eq!(
            message(&account(), &json!("text"), None),
            Err(NormalizeError::NotAnObject("message"))
        );
    }
}
