//! The outbound sender: claims queued messages under a lease, re-checks each one at send time,
//! posts it to Chatwoot, and records the outcome (with campaign and offer hooks).
//!
//! Protocol (safe with any number of senders in any number of processes):
//! - **Claim** (one transaction): queued `chatwoot` messages that are due (`next_attempt_at`
//!   null or past) and not leased (or whose lease expired: a dead sender's) are selected `FOR
//!   UPDATE SKIP LOCKED`. A paused campaign's message is deferred by 60 s (nothing counted). A
//!   message whose last attempt may have reached Chatwoot (see *No double send*) is leased for
//!   reconciliation only. Every other message is re-checked in the same transaction: still
//!   approved, contact not opted out on its channel or `all`, frequency cap not exceeded (sent
//!   within the window plus the ones being sent right now plus this one, under a per-contact
//!   advisory lock), campaign not cancelled, attempts left, a Chatwoot source and a
//!   conversation (the message's, else the contact's latest one, which is then stored on the
//!   message). A refusal ends the message `blocked` (`opted_out` | `frequency_cap` |
//!   `not_approved`, with a `blocked` attempt row), `cancelled` or `failed`. A message that
//!   passes is leased (`locked_by`, `lease_expires_at`) with a `running` attempt row.
//! - **Post** (after commit): the lease is renewed and verified first, so the lease always
//!   outlasts the request (whose timeout is far shorter); then one `POST .../messages` carrying
//!   `content_attributes.revintel_outbound_id` (and `echo_id`) = the message id. Never retried
//!   inline.
//! - **Record** (one transaction, only while still holding the lease): `sent` (with the
//!   Chatwoot message id); a retryable failure (429 honouring `Retry-After`, 5xx, timeouts,
//!   transport) adds an attempt and backs off exponentially with jitter; a refusal (other 4xx)
//!   fails the message at once. The campaign member and event, or the offer, change in the
//!   same transaction as the message's final status.
//! - **No double send**: a POST that never recorded its outcome (the sender died: `running`
//!   attempt, expired lease) or that failed ambiguously (5xx, timeout, transport: Chatwoot may
//!   have created the message anyway) is reconciled before anything is posted again: the
//!   conversation's latest messages are read, newest first, paging back to the attempt's start,
//!   looking for the marker. Found: the message is `sent` without posting. Not found: the
//!   attempt is closed and the message goes through the checks again. Chatwoot unreachable:
//!   nothing is posted, the message waits (backoff) and is reconciled again.
mod checks;
mod claim;
mod delivery;
mod outcomes;
mod reconcile;
mod run;

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entity::enums::OutboundOriginKind;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait,
    Value as DbValue,
};
use serde_json::{Value, json};
use tokio::{sync::watch, task::JoinHandle};
use uuid::Uuid;

use self::{checks::*, reconcile::*};
pub use self::{claim::*, delivery::*, outcomes::*, run::*};
use crate::domain::outbound::policies;
use crate::{
    config::Config,
    domain::conversations::sources::{ChatwootSource, list_sources},
    integrations::chatwoot::{
        ChatwootClient, ChatwootError, ClientOptions, MessagesCursor, client::backoff,
        payload::lenient_i64,
    },
    kernel::{
        DomainError, Scope,
        audit::{self, AuditEntry, EvidenceRef},
        checks::is_global_id_of,
    },
};

/// Key of the marker every POST carries in `content_attributes`.
pub const MARKER_KEY: &str = "revintel_outbound_id";
/// Audit actor of the sender's outcomes.
const ACTOR: &str = "system:outbound-sender";
/// Messages a reconciliation reads per page (Chatwoot's `before=` page size).
const PAGE_SIZE: usize = 20;

/// How a sender claims, posts and retries.
#[derive(Debug, Clone)]
pub struct SenderOptions {
    /// Written to `locked_by` and the attempts (unique per sender: host/process/task).
    pub worker_id: String,
    /// Messages claimed per batch.
    pub batch_size: usize,
    /// How long a claim is valid; renewed before every Chatwoot call, and far longer than one.
    pub lease: Duration,
    /// First retry delay (doubles per attempt).
    pub base_backoff: Duration,
    /// Cap of the retry delay.
    pub max_backoff: Duration,
    /// How long a paused campaign's message waits before it is looked at again.
    pub campaign_pause_delay: Duration,
    /// How long a message waits while its project's Chatwoot source is disabled.
    pub source_disabled_delay: Duration,
    /// Pages of 20 messages a reconciliation reads at most.
    pub reconcile_pages: usize,
    /// Chatwoot client settings (the request timeout must stay well below the lease).
    pub client: ClientOptions,
}

impl SenderOptions {
    /// Defaults for a sender named `worker_id` claiming `batch_size` messages.
    pub fn new(worker_id: impl Into<String>, batch_size: usize) -> Self {
        Self {
            worker_id: worker_id.into(),
            batch_size: batch_size.max(1),
            lease: Duration::from_secs(300),
            base_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(3_600),
            campaign_pause_delay: Duration::from_secs(60),
            source_disabled_delay: Duration::from_secs(300),
            reconcile_pages: 5,
            client: ClientOptions::default(),
        }
    }

    /// The lease actually used: never shorter than twice the longest a Chatwoot call can
    /// take (a read with all its inline retries and `Retry-After` waits), so a lease renewed
    /// before a call cannot run out while the call is still in flight.
    fn effective_lease(&self) -> Duration {
        let retry = &self.client.retry;
        let longest_call = self
            .client
            .timeout
            .saturating_mul(retry.max_retries.saturating_add(1))
            .saturating_add(
                retry
                    .max_retry_after
                    .max(retry.max_delay)
                    .saturating_mul(retry.max_retries),
            );
        self.lease.max(longest_call.saturating_mul(2))
    }
}

/// Why a batch stopped. Chatwoot's failures are not errors here: they are recorded on the
/// message.
#[derive(Debug, thiserror::Error)]
pub enum SenderError {
    /// The database failed (the batch's leases expire and its messages are reclaimed).
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// A lookup of the project or its source failed.
    #[error("outbound sender: {0}")]
    Domain(#[from] DomainError),
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// Messages leased (to send or to reconcile).
    pub claimed: usize,
    /// Messages Chatwoot took (posted now, or found by a reconciliation).
    pub sent: usize,
    /// Of those, found by a reconciliation without posting.
    pub reconciled: usize,
    /// Messages rescheduled after a retryable failure.
    pub retry_scheduled: usize,
    /// Messages that ended `failed`.
    pub failed: usize,
    /// Messages the send-time checks blocked.
    pub blocked: usize,
    /// Messages put off (paused campaign, disabled source, Chatwoot unreachable while
    /// reconciling).
    pub deferred: usize,
    /// Messages cancelled because their campaign was.
    pub cancelled: usize,
    /// Messages whose lease was lost before their outcome was written (nothing written).
    pub lost: usize,
}

impl BatchReport {
    /// Nothing was due.
    pub fn is_idle(&self) -> bool {
        self.claimed + self.blocked + self.deferred + self.cancelled + self.failed == 0
    }
}

/// What a claimed message is leased for.
#[derive(Debug, Clone)]
pub enum Work {
    /// Post it: the `running` attempt `attempt_id`, into conversation `display_id`.
    Send {
        /// The running attempt row.
        attempt_id: i64,
        /// The conversation's display id.
        display_id: i64,
    },
    /// An earlier attempt may have reached Chatwoot: look for it before anything else.
    Reconcile {
        /// The attempt that may have.
        attempt_id: i64,
        /// Whether it is still `running` (its sender died) rather than failed ambiguously.
        running: bool,
        /// When it started (the reconciliation reads back to here).
        started_at: DateTime<Utc>,
    },
}

/// A message this sender holds a lease on.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The message.
    pub message_id: Uuid,
    /// Its project.
    pub scope: Scope,
    /// The recipient (`cwc:` id).
    pub contact_id: String,
    /// Where it comes from.
    pub origin_kind: OutboundOriginKind,
    /// Text.
    pub content: String,
    /// The conversation it goes to (`cw:` id), once known.
    pub conversation_id: Option<String>,
    /// Send tries before this claim.
    pub attempts: i32,
    /// Tries before it fails for good.
    pub max_attempts: i32,
    /// What to do with it.
    pub work: Work,
    source: Option<ChatwootSource>,
}

/// A queued message as the claim reads it.
struct Row {
    id: Uuid,
    project_id: Uuid,
    channel: String,
    contact: String,
    conversation: Option<String>,
    origin_kind: OutboundOriginKind,
    origin_id: Option<String>,
    content: String,
    approved: bool,
    attempts: i32,
    max_attempts: i32,
}

const ROW_COLUMNS: &str = "m.id, m.project_id, m.channel, m.contact_global_id, \
    m.conversation_global_id, m.origin_kind, m.origin_id, m.content, \
    (m.approved_at is not null) as approved, m.attempts, m.max_attempts";

fn origin_of(text: &str) -> OutboundOriginKind {
    match text {
        "campaign" => OutboundOriginKind::Campaign,
        "offer" => OutboundOriginKind::Offer,
        "nba" => OutboundOriginKind::Nba,
        _ => OutboundOriginKind::Manual,
    }
}

impl Row {
    fn read(row: &sea_orm::QueryResult) -> Result<Self, DbErr> {
        Ok(Self {
            id: row.try_get("", "id")?,
            project_id: row.try_get("", "project_id")?,
            channel: row.try_get("", "channel")?,
            contact: row.try_get("", "contact_global_id")?,
            conversation: row.try_get("", "conversation_global_id")?,
            origin_kind: origin_of(&row.try_get::<String>("", "origin_kind")?),
            origin_id: row.try_get("", "origin_id")?,
            content: row.try_get("", "content")?,
            approved: row.try_get("", "approved")?,
            attempts: row.try_get("", "attempts")?,
            max_attempts: row.try_get("", "max_attempts")?,
        })
    }
}

/// The last attempt of a message, as far as the claim needs it.
struct LastAttempt {
    id: i64,
    status: String,
    retryable: Option<bool>,
    http_status: Option<i32>,
    started_at: DateTime<Utc>,
}

impl LastAttempt {
    /// Whether Chatwoot may hold the message from this attempt: it never recorded an outcome,
    /// or it failed in a way that may hide a success.
    fn may_have_reached_chatwoot(&self) -> bool {
        match self.status.as_str() {
            "running" => true,
            "failed" => self.retryable == Some(true) && self.http_status != Some(429),
            _ => false,
        }
    }
}

fn stmt<const N: usize>(db: &impl ConnectionTrait, sql: &str, values: [DbValue; N]) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

fn secs(d: Duration) -> DbValue {
    d.as_secs_f64().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_is_found_in_objects_and_in_json_text() {
        let id = Uuid::new_v4().to_string();
        let object = json!({ "content_attributes": { MARKER_KEY: id } });
        let text = json!({ "content_attributes": format!("{{\"{MARKER_KEY}\":\"{id}\"}}") });
        assert_eq!(marker_of(&object).as_deref(), Some(id.as_str()));
        assert_eq!(marker_of(&text).as_deref(), Some(id.as_str()));
        assert_eq!(marker_of(&json!({ "content_attributes": {} })), None);
    }

    #[test]
    fn another_marker_is_never_ours_even_with_the_same_text() {
        let other = json!({
            "content_attributes": { MARKER_KEY: Uuid::new_v4().to_string() },
            "message_type": 1, "private": false, "content": "Hello", "created_at": 100,
        });
        assert!(!is_ours(&other, "mine", "Hello", 0));
        let unmarked = json!({
            "content_attributes": {}, "message_type": 1, "private": false,
            "content": "Hello", "created_at": 100,
        });
        assert!(is_ours(&unmarked, "mine", "Hello", 50));
        assert!(
            !is_ours(&unmarked, "mine", "Hello", 150),
            "older than the attempt"
        );
        assert!(!is_ours(&unmarked, "mine", "Bye", 50));
    }

    #[test]
    fn display_ids_come_from_the_sources_account_only() {
        let project = Uuid::new_v4();
        assert_eq!(
            display_id(project, 7, &format!("cw:{project}:7:42")),
            Some(42)
        );
        assert_eq!(display_id(project, 8, &format!("cw:{project}:7:42")), None);
        assert_eq!(
            display_id(Uuid::new_v4(), 7, &format!("cw:{project}:7:42")),
            None
        );
    }

    #[test]
    fn the_retry_delay_honours_retry_after() {
        let options = SenderOptions::new("t", 1);
        let limited = ChatwootError::RateLimited {
            retry_after: Some(Duration::from_secs(7_200)),
        };
        assert!(retry_delay(&options, 1, &limited) >= Duration::from_secs(7_200));
        let server = ChatwootError::Server {
            status: 503,
            retry_after: None,
        };
        let d = retry_delay(&options, 1, &server);
        assert!(
            d >= Duration::from_secs(24) && d <= Duration::from_secs(36),
            "{d:?}"
        );
    }

    #[test]
    fn the_lease_outlasts_the_longest_chatwoot_call_twice() {
        let mut options = SenderOptions::new("t", 1);
        options.lease = Duration::from_secs(10);
        options.client.timeout = Duration::from_secs(30);
        options.client.retry.max_retries = 1;
        options.client.retry.max_retry_after = Duration::from_secs(60);
        // Two tries of 30 s and one wait of 60 s, twice over.
        assert_eq!(options.effective_lease(), Duration::from_secs(240));
        options.lease = Duration::from_secs(900);
        assert_eq!(options.effective_lease(), Duration::from_secs(900));
    }

    #[test]
    fn only_unfinished_or_ambiguous_attempts_need_a_reconciliation() {
        let attempt = |status: &str, retryable: Option<bool>, http: Option<i32>| LastAttempt {
            id: 1,
            status: status.to_owned(),
            retryable,
            http_status: http,
            started_at: Utc::now(),
        };
        assert!(attempt("running", None, None).may_have_reached_chatwoot());
        assert!(attempt("failed", Some(true), Some(503)).may_have_reached_chatwoot());
        assert!(attempt("failed", Some(true), None).may_have_reached_chatwoot());
        assert!(!attempt("failed", Some(true), Some(429)).may_have_reached_chatwoot());
        assert!(!attempt("failed", Some(false), Some(422)).may_have_reached_chatwoot());
        assert!(!attempt("blocked", None, None).may_have_reached_chatwoot());
    }
}
