//! The immutable audit trail: every critical action writes one row that names its actor, its
//! target and at least one piece of evidence (the database refuses rows without).
use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Condition,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{kernel::Scope, kernel::error::DomainResult};

/// A pointer to the evidence behind an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRef {
    /// What kind of thing (session, api_token, project, project_source, signup_request, ...).
    pub kind: &'static str,
    /// Its id.
    pub id: String,
}

impl EvidenceRef {
    /// Evidence of `kind` with `id`.
    pub fn new(kind: &'static str, id: impl ToString) -> Self {
        Self {
            kind,
            id: id.to_string(),
        }
    }
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The project it happened in, if any (login happens outside projects).
    pub scope: Option<Scope>,
    /// `user:<id>`, `token:<id>` or `system:<component>`.
    pub actor: String,
    /// Dotted action name, e.g. `auth.login`.
    pub action: &'static str,
    /// Kind of the thing acted on.
    pub target_kind: Option<&'static str>,
    /// Id of the thing acted on.
    pub target_id: Option<String>,
    /// At least one evidence reference.
    pub evidence: Vec<EvidenceRef>,
    /// Extra detail (never secrets).
    pub meta: Value,
}

/// Writes `entry` (inside the caller's transaction when given one).
pub async fn record<C: ConnectionTrait>(db: &C, entry: AuditEntry) -> DomainResult<()> {
    let evidence: Vec<Value> = entry
        .evidence
        .iter()
        .map(|e| json!({ "kind": e.kind, "id": e.id }))
        .collect();
    audit_events::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(entry.scope.map(|s| s.project_id())),
        account_scope_id: Set(entry.scope.map(|s| s.account_scope_id())),
        actor: Set(entry.actor),
        action: Set(entry.action.to_owned()),
        target_kind: Set(entry.target_kind.map(str::to_owned)),
        target_id: Set(entry.target_id),
        evidence_refs: Set(Value::Array(evidence)),
        meta: Set(entry.meta),
        created_at: Set(Utc::now().into()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Filters for listing audit events.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact action name.
    pub action: Option<String>,
    /// Exact actor string.
    pub actor: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime<Utc>>,
    /// Created before.
    pub to: Option<DateTime<Utc>>,
}

/// A page of audit events, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// Rows of this page.
    pub items: Vec<audit_events::Model>,
    /// Whether more follow.
    pub has_next_page: bool,
    /// Rows matching the filter.
    pub total_count: u64,
}

/// The project's audit events matching `filter`, newest first, after the keyset `after`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &AuditFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<AuditPage> {
    let mut condition = Condition::all().add(scope.filter_for::<audit_events::Entity>());
    if let Some(action) = &filter.action {
        condition = condition.add(audit_events::Column::Action.eq(action.clone()));
    }
    if let Some(actor) = &filter.actor {
        condition = condition.add(audit_events::Column::Actor.eq(actor.clone()));
    }
    if let Some(from) = filter.from {
        condition = condition.add(audit_events::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(audit_events::Column::CreatedAt.lt(to));
    }
    let total_count = audit_events::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    if let Some((at, id)) = after {
        condition = condition.add(
            Condition::any()
                .add(audit_events::Column::CreatedAt.lt(at))
                .add(
                    Condition::all()
                        .add(audit_events::Column::CreatedAt.eq(at))
                        .add(audit_events::Column::Id.lt(id)),
                ),
        );
    }
    let mut items = audit_events::Entity::find()
        .filter(condition)
        .order_by_desc(audit_events::Column::CreatedAt)
        .order_by_desc(audit_events::Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next_page = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(AuditPage {
        items,
        has_next_page,
        total_count,
    })
}
