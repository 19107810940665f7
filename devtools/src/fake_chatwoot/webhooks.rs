//! Webhook bodies in Chatwoot's shapes and their signatures, for tests and local development.
//!
//! Chatwoot (4.11.2+) signs account webhooks with `X-Chatwoot-Signature: sha256=<hex>` =
//! HMAC-SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}") and sends a stable
//! `X-Chatwoot-Delivery` UUID across retries.
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::world::World;

/// A webhook ready to POST: the raw body and the headers Chatwoot would send.
#[derive(Debug, Clone)]
pub struct SignedWebhook {
    /// Raw JSON body.
    pub body: Vec<u8>,
    /// `X-Chatwoot-Timestamp` (unix seconds).
    pub timestamp: i64,
    /// `X-Chatwoot-Delivery`.
    pub delivery_id: String,
    /// `X-Chatwoot-Signature` (`sha256=<hex>`).
    pub signature: String,
}

/// `sha256=` + hex(HMAC-SHA256(secret, "{timestamp}.{body}")).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Serialises `body` and signs it for `secret` at `timestamp`.
pub fn signed(secret: &str, timestamp: i64, delivery_id: &str, body: &Value) -> SignedWebhook {
    let body = serde_json::to_vec(body).unwrap_or_default();
    SignedWebhook {
        signature: sign(secret, timestamp, &body),
        body,
        timestamp,
        delivery_id: delivery_id.to_owned(),
    }
}

/// A UUID-shaped delivery id derived from `n` (deterministic, unique per `n`).
pub fn delivery_id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{:012x}", n & 0xffff_ffff_ffff)
}

/// `message_created` / `message_updated` body for a message of the world.
pub fn message_event(
    world: &World,
    account_id: i64,
    message_id: i64,
    event: &str,
) -> Option<Value> {
    let account = world.account(account_id)?;
    let message = world.message(account_id, message_id)?;
    account.message_webhook_json(message, event)
}

/// `conversation_created` / `conversation_updated` / `conversation_status_changed` body.
pub fn conversation_event(
    world: &World,
    account_id: i64,
    display_id: i64,
    event: &str,
    changed_attributes: Option<Value>,
) -> Option<Value> {
    let account = world.account(account_id)?;
    let conversation = account.conversations.get(&display_id)?;
    Some(account.conversation_webhook_json(conversation, event, changed_attributes))
}

/// `contact_created` / `contact_updated` body.
pub fn contact_event(
    world: &World,
    account_id: i64,
    contact_id: i64,
    event: &str,
    changed_attributes: Option<Value>,
) -> Option<Value> {
    let account = world.account(account_id)?;
    let contact = account.contacts.get(&contact_id)?;
    Some(account.contact_webhook_json(contact, event, changed_attributes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // Reference computed with Python's hmac module.
        let signature = sign("secret", 1_700_000_000, b"{}");
        assert_eq!(
            signature,
            "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_ne!(signature, sign("secret", 1_700_000_001, b"{}"));
        assert_ne!(signature, sign("other", 1_700_000_000, b"{}"));
    }
}
