//! The risk radar (issue 6): accounts that need attention, ranked by a risk score, each item
//! with an explanation in plain words and the evidence behind it. One live (`open` or
//! `acknowledged`) item per cause, through `dedupe_key`:
//!
//! - **Band drop** (`band_drop:<account_id>`): a health score whose band is below the previous
//!   one (healthy -> at risk, healthy -> critical, at risk -> critical) raises it; while it is
//!   live, every later non-healthy score refreshes it (score, band, explanation, evidence), and
//!   the first healthy score resolves it. Risk score: `(100 - score) + 15 x levels` where
//!   `levels` counts the bands between the item's starting band and the current one (healthy 2,
//!   at risk 1, critical 0).
//! - **Risk signal** (`risk_signal:<signal_id>`): every live (`open` or `acknowledged`)
//!   `churn_risk` or `complaint` signal of an account gets an item from [`sync_signal_items`],
//!   which also resolves items whose signal was resolved, dismissed, deleted or moved off its
//!   account. Risk score: `40 + 40 x confidence`. An item a person (or the sync) closed is not
//!   raised again until its signal changes.
//!
//! People acknowledge, resolve or dismiss items ([`acknowledge`], [`resolve`], [`dismiss`]),
//! each recorded in the audit trail.
use chrono::{DateTime, Utc};
use entity::{
    enums::{RiskItemStatus, RiskKind},
    risk_radar_items,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, IntoActiveModel, QueryFilter, QueryResult, QuerySelect, Set, Statement,
    TransactionTrait, Value as DbValue,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::kernel::page::{decode_cursor, encode_cursor};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};
use crate::{
    domain::signals::health::{self, Band, HealthScore},
    kernel::{
        Actor, Page,
        sql::{Sql, count_rows},
    },
};

/// Extra risk per band level dropped.
pub const BAND_LEVEL_RISK: f64 = 15.0;
/// Risk of a signal with confidence 0.
pub const SIGNAL_BASE_RISK: f64 = 40.0;
/// Extra risk per unit of signal confidence.
pub const SIGNAL_CONFIDENCE_RISK: f64 = 40.0;
/// Most evidence references on one item.
pub const MAX_ITEM_EVIDENCE: usize = 21;
/// Measures named in a band drop's explanation.
const EXPLAINED_MEASURES: usize = 3;
/// Longest signal summary quoted in an explanation.
const MAX_QUOTE_CHARS: usize = 200;

/// A radar item with its account's name.
#[derive(Debug, Clone, PartialEq)]
pub struct RadarItem {
    /// Item id.
    pub id: Uuid,
    /// The account at risk.
    pub account_id: Uuid,
    /// Its name.
    pub account_name: String,
    /// Why it is on the radar.
    pub kind: RiskKind,
    /// open | acknowledged | resolved | dismissed.
    pub status: RiskItemStatus,
    /// Ranking, higher first.
    pub risk_score: f64,
    /// Why, in plain words.
    pub explanation: String,
    /// What supports it (`[{"kind", "id"}]`, never empty).
    pub evidence_refs: Value,
    /// The health score that raised or last refreshed it.
    pub health_score_id: Option<Uuid>,
    /// The signal it stands for.
    pub signal_id: Option<Uuid>,
    /// Band before the drop.
    pub from_band: Option<Band>,
    /// Band after the drop.
    pub to_band: Option<Band>,
    /// When it was raised.
    pub detected_at: DateTime<Utc>,
    /// When it was resolved or dismissed.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved or dismissed it (`None`: the system).
    pub resolved_by: Option<Uuid>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl RadarItem {
    fn from_row(m: risk_radar_items::Model, account_name: String) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            account_name,
            kind: m.kind,
            status: m.status,
            risk_score: m.risk_score,
            explanation: m.explanation,
            evidence_refs: m.evidence_refs,
            health_score_id: m.health_score_id,
            signal_id: m.signal_id,
            from_band: m.from_band,
            to_band: m.to_band,
            detected_at: m.detected_at.with_timezone(&Utc),
            resolved_at: m.resolved_at.map(|t| t.with_timezone(&Utc)),
            resolved_by: m.resolved_by,
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }

    fn from_query(row: &QueryResult) -> DomainResult<Self> {
        let model = risk_radar_items::Model::from_query_result(row, "")?;
        let name: String = row.try_get("", "account_name")?;
        Ok(Self::from_row(model, name))
    }

    /// Its position in [`list`].
    pub fn cursor(&self) -> RadarCursor {
        RadarCursor {
            risk_score: self.risk_score,
            id: self.id,
        }
    }
}

/// A keyset position in [`list`] (risk score descending, then id).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RadarCursor {
    /// Risk score of the last row seen.
    pub risk_score: f64,
    /// Its id.
    pub id: Uuid,
}

impl RadarCursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        // The score's bits, so the keyset compares exactly what is stored.
        encode_cursor(&[
            &self.id.to_string(),
            &format!("{:x}", self.risk_score.to_bits()),
        ])
    }

    /// Reads a string made by [`RadarCursor::encode`]; `None` for anything else.
    pub fn decode(cursor: &str) -> Option<Self> {
        let [id, bits] = decode_cursor::<2>(cursor)?;
        let risk_score = f64::from_bits(u64::from_str_radix(&bits, 16).ok()?);
        if !risk_score.is_finite() {
            return None;
        }
        Some(Self {
            risk_score,
            id: Uuid::parse_str(&id).ok()?,
        })
    }
}

/// Listing filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RadarFilter {
    /// Only this status; `None` lists the live items (open and acknowledged).
    pub status: Option<RiskItemStatus>,
    /// Only this account's items.
    pub account_id: Option<Uuid>,
}

fn status_str(status: RiskItemStatus) -> &'static str {
    match status {
        RiskItemStatus::Open => "open",
        RiskItemStatus::Acknowledged => "acknowledged",
        RiskItemStatus::Resolved => "resolved",
        RiskItemStatus::Dismissed => "dismissed",
    }
}

fn is_live(status: RiskItemStatus) -> bool {
    matches!(status, RiskItemStatus::Open | RiskItemStatus::Acknowledged)
}

fn band_drop_key(account_id: Uuid) -> String {
    format!("band_drop:{account_id}")
}

fn signal_key(signal_id: Uuid) -> String {
    format!("risk_signal:{signal_id}")
}

/// Risk of a band drop: the points missing from 100 plus [`BAND_LEVEL_RISK`] per band level
/// between `from` and the current band.
pub fn band_drop_risk(score: f64, from: Band, to: Band) -> f64 {
    let levels = (health::band_rank(from) - health::band_rank(to)).max(0);
    (100.0 - score) + BAND_LEVEL_RISK * f64::from(levels)
}

/// Risk of a signal: [`SIGNAL_BASE_RISK`] + [`SIGNAL_CONFIDENCE_RISK`] x confidence.
pub fn signal_risk(confidence: f64) -> f64 {
    SIGNAL_BASE_RISK + SIGNAL_CONFIDENCE_RISK * confidence.clamp(0.0, 1.0)
}

/// "Health fell from healthy (78) to critical (31): 3 unresolved conversations, ...".
fn band_drop_explanation(score: &HealthScore, from: Band) -> String {
    let from_text = match (score.previous_band, score.previous_score) {
        (Some(band), Some(previous)) if band == from => {
            format!("{} ({previous:.0})", health::band_label(from))
        }
        _ => health::band_label(from).to_owned(),
    };
    let mut worst: Vec<_> = score.measures.iter().filter(|m| m.loss() > 0.0).collect();
    worst.sort_by(|a, b| b.loss().total_cmp(&a.loss()));
    let reasons: Vec<String> = worst
        .iter()
        .take(EXPLAINED_MEASURES)
        .map(|m| m.summary())
        .collect();
    let reasons = if reasons.is_empty() {
        "no single measure stands out".to_owned()
    } else {
        reasons.join(", ")
    };
    format!(
        "Health fell from {from_text} to {} ({:.0}): {reasons}.",
        health::band_label(score.band),
        score.score
    )
}

fn band_drop_evidence(score: &HealthScore) -> Value {
    let mut refs = vec![json!({ "kind": "health_score", "id": score.id.to_string() })];
    if let Some(more) = score.evidence_refs.as_array() {
        refs.extend(more.iter().cloned());
    }
    refs.truncate(MAX_ITEM_EVIDENCE);
    Value::Array(refs)
}

/// Reacts to a newly stored health score (in the caller's transaction): a band drop raises or
/// refreshes the account's `band_drop` item, a later non-healthy score refreshes a live one,
/// and a healthy score resolves it.
pub async fn on_health_score<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    score: &HealthScore,
) -> DomainResult<()> {
    let key = band_drop_key(score.account_id);
    let live = scope
        .rows::<risk_radar_items::Entity>()
        .filter(risk_radar_items::Column::DedupeKey.eq(key.clone()))
        .filter(
            risk_radar_items::Column::Status
                .is_in([RiskItemStatus::Open, RiskItemStatus::Acknowledged]),
        )
        .lock_exclusive()
        .one(db)
        .await?;

    if score.band == Band::Healthy {
        if let Some(item) = live {
            let mut active = item.into_active_model();
            active.status = Set(RiskItemStatus::Resolved);
            active.resolved_at = Set(Some(score.computed_at.into()));
            active.resolved_by = Set(None);
            active.health_score_id = Set(Some(score.id));
            active.update(db).await?;
        }
        return Ok(());
    }

    if let Some(item) = live {
        let from = item.from_band.unwrap_or(Band::Healthy);
        let mut active = item.into_active_model();
        active.risk_score = Set(band_drop_risk(score.score, from, score.band));
        active.explanation = Set(band_drop_explanation(score, from));
        active.evidence_refs = Set(band_drop_evidence(score));
        active.to_band = Set(Some(score.band));
        active.health_score_id = Set(Some(score.id));
        active.update(db).await?;
        return Ok(());
    }

    let Some(from) = score
        .previous_band
        .filter(|p| health::band_rank(*p) > health::band_rank(score.band))
    else {
        return Ok(());
    };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "insert into risk_radar_items (id, project_id, account_scope_id, account_id, kind, \
           status, risk_score, explanation, evidence_refs, health_score_id, from_band, to_band, \
           dedupe_key, detected_at) \
         values ($1, $2, $3, $4, 'band_drop', 'open', $5, $6, $7, $8, $9, $10, $11, $12) \
         on conflict (project_id, dedupe_key) where status in ('open', 'acknowledged') \
         do update set risk_score = excluded.risk_score, explanation = excluded.explanation, \
           evidence_refs = excluded.evidence_refs, to_band = excluded.to_band, \
           health_score_id = excluded.health_score_id",
        [
            Uuid::new_v4().into(),
            scope.project_id().into(),
            scope.account_scope_id().into(),
            score.account_id.into(),
            band_drop_risk(score.score, from, score.band).into(),
            band_drop_explanation(score, from).into(),
            band_drop_evidence(score).into(),
            score.id.into(),
            health::band_key(from).into(),
            health::band_key(score.band).into(),
            key.into(),
            score.computed_at.into(),
        ],
    ))
    .await?;
    Ok(())
}

fn signal_label(signal_type: &str) -> &'static str {
    match signal_type {
        "churn_risk" => "Churn risk",
        _ => "Complaint",
    }
}

fn quote(summary: Option<&str>) -> String {
    match summary.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) if text.chars().count() > MAX_QUOTE_CHARS => {
            let cut: String = text.chars().take(MAX_QUOTE_CHARS).collect();
            format!(": \u{201c}{cut}\u{2026}\u{201d}")
        }
        Some(text) => format!(": \u{201c}{text}\u{201d}"),
        None => String::new(),
    }
}

/// Brings the `risk_signal` items in line with the signals: every live `churn_risk` or
/// `complaint` signal with an account has one live item (raised, or refreshed when its account,
/// confidence or summary changed), and live items whose signal is no longer live are resolved.
/// Returns how many items were raised, refreshed or resolved.
pub async fn sync_signal_items(db: &DatabaseConnection, scope: &Scope) -> DomainResult<u64> {
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let now = Utc::now();
    let scoped: [DbValue; 2] = [scope.project_id().into(), scope.account_scope_id().into()];
    let signals = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select s.id, s.account_id, s.signal_type, s.confidence, s.summary, \
               s.evidence_refs, s.occurred_at \
             from signals s \
             where s.project_id = $1 and s.account_scope_id = $2 \
               and s.status in ('open', 'acknowledged') \
               and s.signal_type in ('churn_risk', 'complaint') and s.account_id is not null \
               and not exists ( \
                 select 1 from risk_radar_items r \
                 where r.project_id = s.project_id and r.dedupe_key = 'risk_signal:' || s.id::text \
                   and r.status in ('resolved', 'dismissed') and r.resolved_at >= s.updated_at) \
             order by s.occurred_at, s.id",
            scoped.clone(),
        ))
        .await?;
    let mut changed = 0;
    for row in signals {
        let id: Uuid = row.try_get("", "id")?;
        let account_id: Uuid = row.try_get("", "account_id")?;
        let signal_type: String = row.try_get("", "signal_type")?;
        let confidence: f64 = row.try_get("", "confidence")?;
        let summary: Option<String> = row.try_get("", "summary")?;
        let signal_evidence: Value = row.try_get("", "evidence_refs")?;
        let occurred_at: DateTime<Utc> = row.try_get("", "occurred_at")?;
        let explanation = format!(
            "{} signal ({:.0}% confidence) on {}{}",
            signal_label(&signal_type),
            confidence * 100.0,
            occurred_at.format("%Y-%m-%d"),
            quote(summary.as_deref()),
        );
        let mut evidence = vec![json!({ "kind": "signal", "id": id.to_string() })];
        if let Some(more) = signal_evidence.as_array() {
            evidence.extend(more.iter().cloned());
        }
        evidence.truncate(MAX_ITEM_EVIDENCE);
        let result = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "insert into risk_radar_items (id, project_id, account_scope_id, account_id, \
                   kind, status, risk_score, explanation, evidence_refs, signal_id, dedupe_key, \
                   detected_at) \
                 values ($1, $2, $3, $4, 'risk_signal', 'open', $5, $6, $7, $8, $9, $10) \
                 on conflict (project_id, dedupe_key) where status in ('open', 'acknowledged') \
                 do update set account_id = excluded.account_id, \
                   risk_score = excluded.risk_score, explanation = excluded.explanation, \
                   evidence_refs = excluded.evidence_refs \
                 where (risk_radar_items.account_id, risk_radar_items.risk_score, \
                     risk_radar_items.explanation, risk_radar_items.evidence_refs) \
                   is distinct from (excluded.account_id, excluded.risk_score, \
                     excluded.explanation, excluded.evidence_refs)",
                [
                    Uuid::new_v4().into(),
                    scope.project_id().into(),
                    scope.account_scope_id().into(),
                    account_id.into(),
                    signal_risk(confidence).into(),
                    explanation.into(),
                    Value::Array(evidence).into(),
                    id.into(),
                    signal_key(id).into(),
                    now.into(),
                ],
            ))
            .await?;
        changed += result.rows_affected();
    }
    let [project, account_scope] = scoped;
    let resolved = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "update risk_radar_items r set status = 'resolved', resolved_at = $3, \
               resolved_by = null \
             where r.project_id = $1 and r.account_scope_id = $2 and r.kind = 'risk_signal' \
               and r.status in ('open', 'acknowledged') \
               and not exists ( \
                 select 1 from signals s \
                 where s.project_id = r.project_id and s.id = r.signal_id \
                   and s.account_id = r.account_id and s.status in ('open', 'acknowledged') \
                   and s.signal_type in ('churn_risk', 'complaint'))",
            [project, account_scope, now.into()],
        ))
        .await?;
    changed += resolved.rows_affected();
    txn.commit().await?;
    Ok(changed)
}

const ITEM_SELECT: &str = "select r.*, a.name as account_name from risk_radar_items r \
     join crm_accounts a on a.project_id = r.project_id and a.id = r.account_id";

/// Radar items matching `filter`, highest risk first (then by id), `first` at a time after the
/// keyset `after` (from [`RadarItem::cursor`]).
pub async fn list<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &RadarFilter,
    first: u64,
    after: Option<RadarCursor>,
) -> DomainResult<Page<RadarItem>> {
    let mut sql = Sql::scoped(scope, "r");
    match filter.status {
        Some(status) => {
            let p = sql.param(status_str(status));
            sql.and(format!("r.status = {p}"));
        }
        None => sql.and("r.status in ('open', 'acknowledged')".to_owned()),
    }
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("r.account_id = {p}"));
    }
    let total_count = count_rows(db, "risk_radar_items r", &sql).await?;
    if let Some(cursor) = after {
        if !cursor.risk_score.is_finite() {
            return Err(DomainError::Validation(vec![FieldError::new(
                "after",
                "is not a cursor of this listing",
            )]));
        }
        let s = sql.param(cursor.risk_score);
        let i = sql.param(cursor.id);
        sql.and(format!(
            "(r.risk_score < {s} or (r.risk_score = {s} and r.id > {i}))"
        ));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "{ITEM_SELECT} where {} order by r.risk_score desc, r.id asc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .await?;
    let has_next_page = rows.len() as u64 > first;
    let items = rows
        .iter()
        .take(usize::try_from(first).unwrap_or(usize::MAX))
        .map(RadarItem::from_query)
        .collect::<DomainResult<Vec<_>>>()?;
    Ok(Page {
        items,
        has_next_page,
        total_count,
    })
}

/// One radar item of the scope.
pub async fn get<C: ConnectionTrait>(db: &C, scope: &Scope, id: Uuid) -> DomainResult<RadarItem> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "{ITEM_SELECT} where r.project_id = $1 and r.account_scope_id = $2 and r.id = $3"
            ),
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                id.into(),
            ],
        ))
        .await?
        .ok_or(DomainError::NotFound("risk radar item"))?;
    RadarItem::from_query(&row)
}

/// Moves a live item to `to`, recording `crm.risk.<to>`; an item already in `to` is returned
/// unchanged, a closed one cannot move (conflict).
async fn triage(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    to: RiskItemStatus,
) -> DomainResult<RadarItem> {
    let txn = db.begin().await?;
    let item = risk_radar_items::Entity::find_by_id(id)
        .filter(scope.filter_for::<risk_radar_items::Entity>())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("risk radar item"))?;
    if item.status == to {
        txn.commit().await?;
        return get(db, scope, id).await;
    }
    if !is_live(item.status) {
        return Err(DomainError::Conflict(format!(
            "This risk item is already {}",
            status_str(item.status)
        )));
    }
    let from = item.status;
    let mut evidence = vec![
        EvidenceRef::new("risk_radar_item", item.id),
        EvidenceRef::new("account", item.account_id),
    ];
    if let Some(score) = item.health_score_id {
        evidence.push(EvidenceRef::new("health_score", score));
    }
    if let Some(signal) = item.signal_id {
        evidence.push(EvidenceRef::new("signal", signal));
    }
    let account_id = item.account_id;
    let kind = item.kind;
    let mut active = item.into_active_model();
    active.status = Set(to);
    if !is_live(to) {
        active.resolved_at = Set(Some(Utc::now().into()));
        active.resolved_by = Set(actor.user_id);
    }
    active.update(&txn).await?;
    let action = match to {
        RiskItemStatus::Acknowledged => "crm.risk.acknowledged",
        RiskItemStatus::Resolved => "crm.risk.resolved",
        RiskItemStatus::Dismissed => "crm.risk.dismissed",
        RiskItemStatus::Open => "crm.risk.reopened",
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("risk_radar_item"),
            target_id: Some(id.to_string()),
            evidence,
            meta: json!({
                "from": status_str(from),
                "to": status_str(to),
                "kind": kind,
                "accountId": account_id,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    get(db, scope, id).await
}

/// Marks a live item as seen (`crm.risk.acknowledged`); it stays on the radar.
pub async fn acknowledge(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<RadarItem> {
    triage(db, scope, actor, id, RiskItemStatus::Acknowledged).await
}

/// Closes a live item as handled (`crm.risk.resolved`).
pub async fn resolve(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<RadarItem> {
    triage(db, scope, actor, id, RiskItemStatus::Resolved).await
}

/// Closes a live item as not relevant (`crm.risk.dismissed`).
pub async fn dismiss(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<RadarItem> {
    triage(db, scope, actor, id, RiskItemStatus::Dismissed).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_scores_follow_their_formulas() {
        assert_eq!(band_drop_risk(31.0, Band::Healthy, Band::Critical), 99.0);
        assert_eq!(band_drop_risk(55.0, Band::Healthy, Band::AtRisk), 60.0);
        assert_eq!(band_drop_risk(55.0, Band::AtRisk, Band::AtRisk), 45.0);
        assert_eq!(signal_risk(0.5), 60.0);
        assert_eq!(signal_risk(1.0), 80.0);
    }

    #[test]
    fn cursors_round_trip_exactly() {
        let cursor = RadarCursor {
            risk_score: 73.123_456_789,
            id: Uuid::new_v4(),
        };
        assert_eq!(RadarCursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(RadarCursor::decode("nonsense"), None);
    }
}
