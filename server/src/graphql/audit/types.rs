//! API types for the audit trail.
use async_graphql::{ID, InputObject, Json, SimpleObject};
use chrono::{DateTime, Utc};
use entity::audit_events;

/// One piece of evidence behind an action.
#[derive(SimpleObject, Debug, Clone)]
pub struct EvidenceReference {
    /// What kind of thing.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// An immutable record of a critical action.
#[derive(SimpleObject, Debug, Clone)]
pub struct AuditEvent {
    /// Event id.
    pub id: ID,
    /// `user:<id>`, `token:<id>` or `system:<component>`.
    pub actor: String,
    /// Dotted action name.
    pub action: String,
    /// Kind of the thing acted on.
    pub target_kind: Option<String>,
    /// Id of the thing acted on.
    pub target_id: Option<String>,
    /// Evidence references (at least one).
    pub evidence: Vec<EvidenceReference>,
    /// Extra detail.
    pub meta: Json<serde_json::Value>,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

impl From<audit_events::Model> for AuditEvent {
    fn from(m: audit_events::Model) -> Self {
        let evidence = m
            .evidence_refs
            .as_array()
            .map(|refs| {
                refs.iter()
                    .map(|r| EvidenceReference {
                        kind: r
                            .get("kind")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                        id: r
                            .get("id")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: ID(m.id.to_string()),
            actor: m.actor,
            action: m.action,
            target_kind: m.target_kind,
            target_id: m.target_id,
            evidence,
            meta: Json(m.meta),
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// Narrows the audit listing.
#[derive(InputObject, Debug, Clone, Default)]
pub struct AuditEventFilter {
    /// Exact action, e.g. `auth.login`.
    pub action: Option<String>,
    /// Exact actor, e.g. `user:<id>`.
    pub actor: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
}
