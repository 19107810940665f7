//! Contact channel policies: opt-out and opt-in, frequency caps, the project's defaults, and
//! the inbound stop phrases that opt a contact out by themselves.
//!
//! A policy row belongs to one contact and one channel; channel `all` covers every channel,
//! so an opt-out on `all` blocks `chatwoot` too, and a cap on `all` applies to each channel
//! without a cap of its own. A contact without a cap of its own gets the project default
//! (`project_settings.default_frequency_cap` per `default_frequency_window_seconds`; 3 per 7
//! days when the project has no settings row). Opting in again is always a person's act; the
//! automatic opt-out never opts anybody in, and never overrides an opt-in made after the
//! message that said stop.
use chrono::{DateTime, Utc};
use entity::{contact_channel_policies, project_settings};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::outbound::{ALL_CHANNELS, Actor, check_channel, require_contact};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    checks::{
        Checks, MAX_NOTE_CHARS, check_evidence, evidence_json, is_global_id_of, optional_text,
    },
    error::{DomainResult, FieldError},
};

/// Messages per window when the project has no settings row.
pub const DEFAULT_FREQUENCY_CAP: i32 = 3;
/// The default window: 7 days.
pub const DEFAULT_FREQUENCY_WINDOW_SECONDS: i32 = 604_800;
/// Largest cap a person may set.
const MAX_CAP: i32 = 10_000;
/// Longest window a person may set: a year.
const MAX_WINDOW_SECONDS: i32 = 31_536_000;
/// `opt_out_reason` of an opt-out read from an inbound message.
pub const INBOUND_STOP_REASON: &str = "inbound_stop_phrase";
/// Audit actor of automatic opt-outs.
pub const OPT_OUT_ACTOR: &str = "system:opt-out";
/// Most messages one [`apply_inbound_opt_outs`] call reads.
pub const MAX_INBOUND_MESSAGES: usize = 10_000;

/// Stop phrases used when the project names none (`project_settings.opt_out_phrases` empty):
/// matched case-insensitively as whole words or phrases of an incoming message.
pub const DEFAULT_OPT_OUT_PHRASES: &[&str] = &[
    "stop",
    "stop sending",
    "unsubscribe",
    "opt out",
    "do not contact me",
    "don't contact me",
    "remove me from your list",
    "abmelden",
    "keine nachrichten mehr",
    "désabonner",
    "désinscrire",
    "darse de baja",
    "no más mensajes",
];

/// The project's outbound settings (defaults when it has no settings row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSettings {
    /// Messages per window for contacts without a cap of their own.
    pub frequency_cap: i32,
    /// Window of that cap, in seconds.
    pub frequency_window_seconds: i32,
    /// Whether an approver must not be the message's author.
    pub four_eyes: bool,
    /// Inbound stop phrases in force (the project's, else [`DEFAULT_OPT_OUT_PHRASES`]).
    pub opt_out_phrases: Vec<String>,
}

/// The project's own opt-out phrases as stored (a JSON array of strings; blanks skipped).
pub fn stored_phrases(stored: &Value) -> Vec<String> {
    stored
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The scope's outbound settings.
pub async fn settings<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<OutboundSettings> {
    let row = scope.rows::<project_settings::Entity>().one(db).await?;
    let defaults = || {
        DEFAULT_OPT_OUT_PHRASES
            .iter()
            .map(|p| (*p).to_owned())
            .collect::<Vec<_>>()
    };
    Ok(match row {
        Some(row) => {
            let phrases = stored_phrases(&row.opt_out_phrases);
            let flag = row.settings.get("outbound_four_eyes");
            OutboundSettings {
                frequency_cap: row.default_frequency_cap,
                frequency_window_seconds: row.default_frequency_window_seconds,
                four_eyes: matches!(flag, Some(Value::Bool(true)))
                    || flag.and_then(Value::as_str) == Some("true"),
                opt_out_phrases: if phrases.is_empty() {
                    defaults()
                } else {
                    phrases
                },
            }
        }
        None => OutboundSettings {
            frequency_cap: DEFAULT_FREQUENCY_CAP,
            frequency_window_seconds: DEFAULT_FREQUENCY_WINDOW_SECONDS,
            four_eyes: false,
            opt_out_phrases: defaults(),
        },
    })
}

/// A contact's policy on one channel.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelPolicy {
    /// Policy id.
    pub id: Uuid,
    /// The contact (`cwc:` id).
    pub contact_id: String,
    /// Channel; `all` covers every channel.
    pub channel: String,
    /// Whether the contact is opted out.
    pub opted_out: bool,
    /// Why (e.g. `inbound_stop_phrase`).
    pub opt_out_reason: Option<String>,
    /// What shows the opt-out (`[{"kind", "id"}]`, e.g. the inbound message).
    pub opt_out_evidence: Value,
    /// When the contact opted out.
    pub opted_out_at: Option<DateTime<Utc>>,
    /// When a person opted the contact in again.
    pub opted_in_at: Option<DateTime<Utc>>,
    /// Who last opted out or in (audit actor).
    pub changed_by: Option<String>,
    /// Own cap (messages per window); `None` uses the project default.
    pub frequency_cap: Option<i32>,
    /// Own window in seconds.
    pub frequency_window_seconds: Option<i32>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<contact_channel_policies::Model> for ChannelPolicy {
    fn from(m: contact_channel_policies::Model) -> Self {
        Self {
            id: m.id,
            contact_id: m.contact_global_id,
            channel: m.channel,
            opted_out: m.opted_out,
            opt_out_reason: m.opt_out_reason,
            opt_out_evidence: m.opt_out_evidence,
            opted_out_at: m.opted_out_at.map(|t| t.with_timezone(&Utc)),
            opted_in_at: m.opted_in_at.map(|t| t.with_timezone(&Utc)),
            changed_by: m.changed_by,
            frequency_cap: m.frequency_cap,
            frequency_window_seconds: m.frequency_window_seconds,
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// Every policy of a contact, with the project defaults that apply where it has none.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPolicies {
    /// The contact (`cwc:` id).
    pub contact_id: String,
    /// Its policies, by channel.
    pub policies: Vec<ChannelPolicy>,
    /// The project's default cap.
    pub default_frequency_cap: i32,
    /// The project's default window in seconds.
    pub default_frequency_window_seconds: i32,
}

/// The policies of a contact of the scope (NotFound for another project's contact).
pub async fn contact_policies<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_id: &str,
) -> DomainResult<ContactPolicies> {
    let contact = require_contact(db, scope, contact_id).await?;
    let settings = settings(db, scope).await?;
    let policies = scope
        .rows::<contact_channel_policies::Entity>()
        .filter(contact_channel_policies::Column::ContactGlobalId.eq(contact.clone()))
        .order_by_asc(contact_channel_policies::Column::Channel)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    Ok(ContactPolicies {
        contact_id: contact,
        policies,
        default_frequency_cap: settings.frequency_cap,
        default_frequency_window_seconds: settings.frequency_window_seconds,
    })
}

/// The policy row of (`contact`, `channel`), created empty when missing, locked for the rest
/// of the transaction (so concurrent opt-outs, opt-ins and caps apply one after the other).
async fn lock_policy<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact: &str,
    channel: &str,
) -> DomainResult<contact_channel_policies::Model> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into contact_channel_policies (project_id, account_scope_id, contact_global_id, \
           channel) values ($1, $2, $3, $4) \
         on conflict (project_id, contact_global_id, channel) do nothing",
        [
            scope.project_id().into(),
            scope.account_scope_id().into(),
            contact.into(),
            channel.into(),
        ],
    ))
    .await?;
    scope
        .rows::<contact_channel_policies::Entity>()
        .filter(contact_channel_policies::Column::ContactGlobalId.eq(contact))
        .filter(contact_channel_policies::Column::Channel.eq(channel))
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("contact channel policy"))
}

async fn record_policy<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &str,
    action: &'static str,
    policy: &contact_channel_policies::Model,
    extra_evidence: &[EvidenceRef],
    meta: Value,
) -> DomainResult<()> {
    let mut evidence = vec![
        EvidenceRef::new("contact_channel_policy", policy.id),
        EvidenceRef::new("contact", &policy.contact_global_id),
    ];
    evidence.extend(extra_evidence.iter().cloned());
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.to_owned(),
            action,
            target_kind: Some("contact_channel_policy"),
            target_id: Some(policy.id.to_string()),
            evidence,
            meta,
        },
    )
    .await
}

/// Opts a contact of the scope out of `channel` (`all` for every channel) with a reason and
/// the evidence for it (`outbound.policy.opted_out`). Already opted out: nothing changes.
pub async fn opt_out(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    contact_id: &str,
    channel: &str,
    reason: Option<String>,
    evidence: Vec<EvidenceRef>,
) -> DomainResult<ChannelPolicy> {
    let mut checks = Checks::default();
    let channel = checks
        .take(check_channel("channel", channel))
        .unwrap_or_default();
    let reason = checks
        .take(optional_text("reason", reason.as_deref(), MAX_NOTE_CHARS))
        .flatten();
    checks.take(check_evidence("evidence", scope, &evidence));
    let contact = require_contact(db, scope, contact_id).await?;
    checks.finish()?;

    let txn = db.begin().await?;
    let policy = lock_policy(&txn, scope, &contact, &channel).await?;
    if policy.opted_out {
        txn.commit().await?;
        return Ok(policy.into());
    }
    let mut active = policy.into_active_model();
    active.opted_out = Set(true);
    active.opt_out_reason = Set(Some(reason.clone().unwrap_or_else(|| "manual".to_owned())));
    active.opt_out_evidence = Set(evidence_json(&evidence));
    active.opted_out_at = Set(Some(Utc::now().into()));
    active.changed_by = Set(Some(actor.audit.clone()));
    let policy = active.update(&txn).await?;
    record_policy(
        &txn,
        scope,
        &actor.audit,
        "outbound.policy.opted_out",
        &policy,
        &evidence,
        json!({ "channel": policy.channel, "reason": policy.opt_out_reason }),
    )
    .await?;
    txn.commit().await?;
    Ok(policy.into())
}

/// Opts a contact of the scope back in on `channel` (`outbound.policy.opted_in`, with the
/// opt-out it lifts). Only a person may do this. An opt-out on `all` is lifted only by opting
/// in on `all`. Not opted out: nothing changes.
pub async fn opt_in(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    contact_id: &str,
    channel: &str,
) -> DomainResult<ChannelPolicy> {
    if actor.user_id.is_none() {
        return Err(DomainError::Forbidden);
    }
    let mut checks = Checks::default();
    let channel = checks
        .take(check_channel("channel", channel))
        .unwrap_or_default();
    let contact = require_contact(db, scope, contact_id).await?;
    checks.finish()?;

    let txn = db.begin().await?;
    let policy = lock_policy(&txn, scope, &contact, &channel).await?;
    if !policy.opted_out {
        txn.commit().await?;
        return Ok(policy.into());
    }
    let lifted = json!({
        "reason": policy.opt_out_reason,
        "evidence": policy.opt_out_evidence,
        "optedOutAt": policy.opted_out_at,
        "optedOutBy": policy.changed_by,
    });
    let mut active = policy.into_active_model();
    active.opted_out = Set(false);
    active.opted_in_at = Set(Some(Utc::now().into()));
    active.changed_by = Set(Some(actor.audit.clone()));
    let policy = active.update(&txn).await?;
    record_policy(
        &txn,
        scope,
        &actor.audit,
        "outbound.policy.opted_in",
        &policy,
        &[],
        json!({ "channel": policy.channel, "lifted": lifted }),
    )
    .await?;
    txn.commit().await?;
    Ok(policy.into())
}

/// Sets a contact's own cap on `channel` to `cap` messages per `window_seconds` (the project's
/// default window when `None`), or clears it with `cap = None` so the project default applies
/// (`outbound.policy.cap_set` / `outbound.policy.cap_cleared`).
pub async fn set_frequency_cap(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    contact_id: &str,
    channel: &str,
    cap: Option<i32>,
    window_seconds: Option<i32>,
) -> DomainResult<ChannelPolicy> {
    let mut checks = Checks::default();
    let channel = checks
        .take(check_channel("channel", channel))
        .unwrap_or_default();
    if cap.is_some_and(|c| !(0..=MAX_CAP).contains(&c)) {
        checks.fail("cap", &format!("must be between 0 and {MAX_CAP}"));
    }
    if window_seconds.is_some_and(|w| !(1..=MAX_WINDOW_SECONDS).contains(&w)) {
        checks.fail(
            "windowSeconds",
            &format!("must be between 1 and {MAX_WINDOW_SECONDS}"),
        );
    }
    if cap.is_none() && window_seconds.is_some() {
        checks.fail("windowSeconds", "give a cap with its window");
    }
    let contact = require_contact(db, scope, contact_id).await?;
    checks.finish()?;
    let window = match (cap, window_seconds) {
        (Some(_), Some(w)) => Some(w),
        (Some(_), None) => Some(settings(db, scope).await?.frequency_window_seconds),
        (None, _) => None,
    };

    let txn = db.begin().await?;
    let policy = lock_policy(&txn, scope, &contact, &channel).await?;
    if policy.frequency_cap == cap && policy.frequency_window_seconds == window {
        txn.commit().await?;
        return Ok(policy.into());
    }
    let previous =
        json!({ "cap": policy.frequency_cap, "windowSeconds": policy.frequency_window_seconds });
    let mut active = policy.into_active_model();
    active.frequency_cap = Set(cap);
    active.frequency_window_seconds = Set(window);
    let policy = active.update(&txn).await?;
    let action = if cap.is_some() {
        "outbound.policy.cap_set"
    } else {
        "outbound.policy.cap_cleared"
    };
    record_policy(
        &txn,
        scope,
        &actor.audit,
        action,
        &policy,
        &[],
        json!({
            "channel": policy.channel,
            "cap": cap,
            "windowSeconds": window,
            "previous": previous,
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(policy.into())
}

/// The words of `text`, lowercased: runs of letters and digits (any script).
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first of `phrases` that `text` contains as whole words, case-insensitively ("STOP!"
/// and "please stop." contain "stop"; "stopped" and "nonstop" do not).
pub fn matching_stop_phrase<'a>(text: &str, phrases: &'a [String]) -> Option<&'a str> {
    let text = words(text);
    phrases
        .iter()
        .find(|phrase| {
            let phrase = words(phrase);
            !phrase.is_empty()
                && text
                    .windows(phrase.len())
                    .any(|window| window == phrase.as_slice())
        })
        .map(String::as_str)
}

/// Reads the scope's incoming, non-private messages among `message_ids` and opts every contact
/// that wrote a stop phrase out of channel `all`, with reason `inbound_stop_phrase` and the
/// message as evidence (audited as `system:opt-out`). Idempotent: a contact already opted out
/// is left alone, nobody is ever opted in, and a person's opt-in made after the message stands.
/// Returns how many contacts were opted out.
pub async fn apply_inbound_opt_outs(
    db: &DatabaseConnection,
    scope: &Scope,
    message_ids: &[String],
) -> DomainResult<u64> {
    if message_ids.is_empty() {
        return Ok(0);
    }
    if message_ids.len() > MAX_INBOUND_MESSAGES {
        return Err(DomainError::Validation(vec![FieldError::new(
            "messageIds",
            format!("read at most {MAX_INBOUND_MESSAGES} messages at once"),
        )]));
    }
    // Per-id primary-key probes: this runs beside bulk ingestion.
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select m.id, coalesce(m.contact_global_id, c.contact_global_id) as contact, \
                    m.content, m.created_at \
             from jsonb_array_elements_text($3::jsonb) as x(id) \
             cross join lateral ( \
               select * from cw_messages m1 \
               where m1.id = x.id and m1.project_id = $1 and m1.account_scope_id = $2 \
             ) m \
             left join cw_conversations c \
               on c.id = m.conversation_global_id and c.project_id = $1 \
             where m.message_type = 'incoming' and not m.private \
               and coalesce(btrim(m.content), '') <> '' \
             order by m.created_at nulls last, m.id",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                DbValue::Json(Some(Box::new(json!(message_ids)))),
            ],
        ))
        .await?;
    let settings = settings(db, scope).await?;
    let mut stops = Vec::new();
    for row in rows {
        let id: String = row.try_get("", "id")?;
        let contact: Option<String> = row.try_get("", "contact")?;
        let content: String = row.try_get("", "content")?;
        let at: Option<DateTime<Utc>> = row.try_get("", "created_at")?;
        let Some(contact) = contact.filter(|c| is_global_id_of(scope.project_id(), "cwc", c))
        else {
            continue;
        };
        if let Some(phrase) = matching_stop_phrase(&content, &settings.opt_out_phrases) {
            stops.push((id, contact, at, phrase.to_owned()));
        }
    }
    if stops.is_empty() {
        return Ok(0);
    }

    let txn = db.begin().await?;
    let mut opted_out = 0;
    for (message, contact, at, phrase) in stops {
        let policy = lock_policy(&txn, scope, &contact, ALL_CHANNELS).await?;
        let opted_in_later = match (policy.opted_in_at, at) {
            (Some(opted_in), Some(at)) => opted_in.with_timezone(&Utc) >= at,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if policy.opted_out || opted_in_later {
            continue;
        }
        let evidence = vec![EvidenceRef::new("message", &message)];
        let mut active = policy.into_active_model();
        active.opted_out = Set(true);
        active.opt_out_reason = Set(Some(INBOUND_STOP_REASON.to_owned()));
        active.opt_out_evidence = Set(evidence_json(&evidence));
        active.opted_out_at = Set(Some(Utc::now().into()));
        active.changed_by = Set(Some(OPT_OUT_ACTOR.to_owned()));
        let policy = active.update(&txn).await?;
        record_policy(
            &txn,
            scope,
            OPT_OUT_ACTOR,
            "outbound.policy.opted_out",
            &policy,
            &evidence,
            json!({ "channel": ALL_CHANNELS, "reason": INBOUND_STOP_REASON, "phrase": phrase }),
        )
        .await?;
        opted_out += 1;
    }
    txn.commit().await?;
    Ok(opted_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Vec<String> {
        DEFAULT_OPT_OUT_PHRASES
            .iter()
            .map(|p| (*p).to_owned())
            .collect()
    }

    #[test]
    fn stop_phrases_match_whole_words_in_any_case() {
        let phrases = defaults();
        assert_eq!(matching_stop_phrase("STOP", &phrases), Some("stop"));
        assert_eq!(matching_stop_phrase("Please stop.", &phrases), Some("stop"));
        assert_eq!(
            matching_stop_phrase("I want to OPT-OUT now", &phrases),
            Some("opt out")
        );
        assert_eq!(
            matching_stop_phrase("Bitte ABMELDEN!", &phrases),
            Some("abmelden")
        );
        assert_eq!(
            matching_stop_phrase("Je veux me DÉSABONNER", &phrases),
            Some("désabonner")
        );
        assert_eq!(
            matching_stop_phrase("quiero darse de baja", &phrases),
            Some("darse de baja")
        );
        assert_eq!(
            matching_stop_phrase("Don't contact me again", &phrases),
            Some("don't contact me")
        );
    }

    #[test]
    fn words_that_only_contain_a_phrase_do_not_match() {
        let phrases = defaults();
        for text in [
            "The pump stopped working",
            "nonstop support, thanks",
            "Can you contact me tomorrow?",
            "",
        ] {
            assert_eq!(matching_stop_phrase(text, &phrases), None, "{text}");
        }
    }

    #[test]
    fn a_project_list_replaces_the_defaults() {
        let phrases = vec!["basta".to_owned()];
        assert_eq!(matching_stop_phrase("basta!", &phrases), Some("basta"));
        assert_eq!(matching_stop_phrase("stop", &phrases), None);
    }
}
