//! Chatwoot's response and webhook envelopes. Items stay `serde_json::Value` (they are stored
//! raw); the normaliser in `domain::conversations` reads the fields it needs, leniently.
use serde_json::{Map, Value};

use crate::integrations::chatwoot::ChatwootError;

/// Reads an integer that Chatwoot may send as a number or a numeric string.
pub fn lenient_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn array(value: Option<&Value>, what: &str) -> Result<Vec<Value>, ChatwootError> {
    match value {
        Some(Value::Array(items)) => Ok(items.clone()),
        Some(Value::Null) | None => Err(ChatwootError::Decode(format!("{what} is missing"))),
        Some(_) => Err(ChatwootError::Decode(format!("{what} is not an array"))),
    }
}

/// `GET /contacts`: `{ meta: { count, current_page }, payload: [contact] }`.
#[derive(Debug, Clone)]
pub struct ContactsPage {
    /// Contacts in the whole listing.
    pub count: Option<u64>,
    /// The page Chatwoot says it served (a string or a number, depending on the request).
    pub current_page: Option<u64>,
    /// Raw contacts.
    pub payload: Vec<Value>,
}

impl ContactsPage {
    /// Reads the documented shape.
    pub fn from_json(body: &Value) -> Result<Self, ChatwootError> {
        let meta = body.get("meta");
        Ok(Self {
            count: meta
                .and_then(|m| m.get("count"))
                .and_then(lenient_i64)
                .and_then(|n| u64::try_from(n).ok()),
            current_page: meta
                .and_then(|m| m.get("current_page"))
                .and_then(lenient_i64)
                .and_then(|n| u64::try_from(n).ok()),
            payload: array(body.get("payload"), "contacts payload")?,
        })
    }
}

/// `GET /conversations`: `{ data: { meta: { all_count, ... }, payload: [conversation] } }`.
#[derive(Debug, Clone)]
pub struct ConversationsPage {
    /// Conversations matching the status filter.
    pub all_count: Option<u64>,
    /// Raw conversations, newest activity first.
    pub payload: Vec<Value>,
}

impl ConversationsPage {
    /// Reads the documented shape (note the extra `data` level).
    pub fn from_json(body: &Value) -> Result<Self, ChatwootError> {
        let data = body
            .get("data")
            .ok_or_else(|| ChatwootError::Decode("conversations: `data` is missing".into()))?;
        Ok(Self {
            all_count: data
                .get("meta")
                .and_then(|m| m.get("all_count"))
                .and_then(lenient_i64)
                .and_then(|n| u64::try_from(n).ok()),
            payload: array(data.get("payload"), "conversations payload")?,
        })
    }
}

/// `GET /conversations/{id}/messages`: `{ meta: {...}, payload: [message] }`, oldest first.
#[derive(Debug, Clone)]
pub struct MessagesPage {
    /// Conversation meta (labels, contact, assignee, ...).
    pub meta: Value,
    /// Raw messages in REST form.
    pub payload: Vec<Value>,
}

impl MessagesPage {
    /// Reads the documented shape.
    pub fn from_json(body: &Value) -> Result<Self, ChatwootError> {
        Ok(Self {
            meta: body.get("meta").cloned().unwrap_or(Value::Null),
            payload: array(body.get("payload"), "messages payload")?,
        })
    }
}

/// What a webhook event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `message_created`, `message_updated`.
    Message,
    /// `conversation_created`, `conversation_updated`, `conversation_status_changed`.
    Conversation,
    /// `contact_created`, `contact_updated`.
    Contact,
    /// Typing, widget, inbox and unknown events: acknowledged, not applied.
    Ignored,
}

/// Why a webhook body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not JSON.
    #[error("body is not valid JSON")]
    NotJson,
    /// JSON, but not an object with a string `event`.
    #[error("body is not a Chatwoot webhook (no `event`)")]
    NoEvent,
}

/// A parsed webhook body.
#[derive(Debug, Clone)]
pub struct WebhookEnvelope {
    /// The `event` field.
    pub event: String,
    /// The whole body.
    pub body: Map<String, Value>,
}

impl WebhookEnvelope {
    /// Parses a raw body.
    pub fn parse(raw: &[u8]) -> Result<Self, PayloadError> {
        let value: Value = serde_json::from_slice(raw).map_err(|_| PayloadError::NotJson)?;
        let Value::Object(body) = value else {
            return Err(PayloadError::NoEvent);
        };
        let event = body
            .get("event")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
            .ok_or(PayloadError::NoEvent)?
            .to_owned();
        Ok(Self { event, body })
    }

    /// What the event is about.
    pub fn kind(&self) -> EventKind {
        match self.event.as_str() {
            "message_created" | "message_updated" => EventKind::Message,
            "conversation_created" | "conversation_updated" | "conversation_status_changed" => {
                EventKind::Conversation
            }
            "contact_created" | "contact_updated" => EventKind::Contact,
            _ => EventKind::Ignored,
        }
    }

    /// The Chatwoot account the body says it belongs to (`account.id`, `account_id`, or the
    /// embedded conversation's `account_id`).
    pub fn account_id(&self) -> Option<i64> {
        self.body
            .get("account")
            .and_then(|a| a.get("id"))
            .and_then(lenient_i64)
            .or_else(|| self.body.get("account_id").and_then(lenient_i64))
            .or_else(|| {
                self.body
                    .get("conversation")
                    .and_then(|c| c.get("account_id"))
                    .and_then(lenient_i64)
            })
    }

    /// The body without the delivery-specific keys (`event`, `changed_attributes`): what is
    /// stored as the row's raw `data`.
    pub fn data(&self) -> Value {
        let mut body = self.body.clone();
        body.remove("event");
        body.remove("changed_attributes");
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn contacts_page_reads_current_page_given_as_a_string() {
        let page = ContactsPage::from_json(
            &json!({ "meta": { "count": 31, "current_page": "2" }, "payload": [{ "id": 1 }] }),
        )
        .expect("valid page");
        assert_eq!(page.count, Some(31));
        assert_eq!(page.current_page, Some(2));
        assert_eq!(page.payload.len(), 1);
    }

    #[test]
    fn conversations_page_needs_the_data_level() {
        assert!(ConversationsPage::from_json(&json!({ "payload": [] })).is_err());
        let page = ConversationsPage::from_json(
            &json!({ "data": { "meta": { "all_count": 3 }, "payload": [] } }),
        )
        .expect("valid page");
        assert_eq!(page.all_count, Some(3));
    }

    #[test]
    fn webhook_envelopes_classify_events_and_find_the_account() {
        let envelope = WebhookEnvelope::parse(
            br#"{"event":"message_created","id":5,"account":{"id":"7","name":"x"}}"#,
        )
        .expect("valid body");
        assert_eq!(envelope.kind(), EventKind::Message);
        assert_eq!(envelope.account_id(), Some(7));
        assert!(envelope.data().get("event").is_none());
        assert_eq!(
            WebhookEnvelope::parse(b"{not json").err(),
            Some(PayloadError::NotJson)
        );
        assert_eq!(
            WebhookEnvelope::parse(b"[1,2]").err(),
            Some(PayloadError::NoEvent)
        );
        let typing =
            WebhookEnvelope::parse(br#"{"event":"conversation_typing_on"}"#).expect("valid body");
        assert_eq!(typing.kind(), EventKind::Ignored);
    }
}
