//! The outbound pipeline (issue 7): messages to contacts go draft -> pending_approval ->
//! (approved ->) queued -> sent | failed | blocked (or cancelled), and nothing reaches queued or
//! sent without an approval (the `outbound_messages_sent_requires_approval` check backs it).
//!
//! - [`messages`]: writing, submitting, approving, rejecting and cancelling messages, listings,
//!   and [`messages::enqueue_approved`] for modules (offers, campaigns) that approve on their own.
//! - [`policies`]: per-contact opt-out / opt-in and frequency caps, project defaults, and the
//!   inbound stop phrases that opt a contact out ([`policies::apply_inbound_opt_outs`]).
//! - [`sender`]: the leased sender that re-checks every message at send time, posts it to
//!   Chatwoot once (reconciling an unfinished attempt before posting again), retries with
//!   backoff, and reports outcomes to campaigns and offers.
//!
//! Every query is filtered by the scope's project and account scope.
pub mod handoff;
pub mod messages;
pub mod policies;
pub mod sender;

use entity::cw_contacts;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

pub use crate::kernel::Actor;
use crate::kernel::{
    DomainError, Scope,
    checks::is_global_id_of,
    error::{DomainResult, FieldError},
};

/// The one channel the sender delivers today: a Chatwoot conversation.
pub const CHATWOOT_CHANNEL: &str = "chatwoot";
/// The policy channel that covers every channel.
pub const ALL_CHANNELS: &str = "all";
/// Longest channel name.
const MAX_CHANNEL_CHARS: usize = 50;

/// A channel name as the schema allows it: `^[a-z][a-z0-9_]*$`, at most 50 characters.
pub(crate) fn check_channel(field: &str, raw: &str) -> Result<String, FieldError> {
    let channel = raw.trim();
    let mut bytes = channel.bytes();
    let well_formed = channel.len() <= MAX_CHANNEL_CHARS
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if well_formed {
        Ok(channel.to_owned())
    } else {
        Err(FieldError::new(
            field,
            "use a lowercase channel name like chatwoot or all",
        ))
    }
}

/// Checks that `contact_id` is a Chatwoot contact of the scope's project (NotFound otherwise,
/// so another project's contact reads as absent).
pub(crate) async fn require_contact<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_id: &str,
) -> DomainResult<String> {
    let id = contact_id.trim();
    let exists = is_global_id_of(scope.project_id(), "cwc", id)
        && cw_contacts::Entity::find_by_id(id.to_owned())
            .filter(scope.filter_for::<cw_contacts::Entity>())
            .count(db)
            .await?
            > 0;
    if exists {
        Ok(id.to_owned())
    } else {
        Err(DomainError::NotFound("contact"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_lowercase_identifiers() {
        assert_eq!(check_channel("c", " chatwoot "), Ok("chatwoot".to_owned()));
        assert!(check_channel("c", "all").is_ok());
        assert!(check_channel("c", "web_widget2").is_ok());
        for bad in ["", "Chatwoot", "2sms", "e-mail", &"a".repeat(51)] {
            assert!(check_channel("c", bad).is_err(), "{bad}");
        }
    }
}
