//! Next-best-actions: what someone should do next, generated from open signals and account
//! state by the documented [`NBA_RULES`], each with a reason, evidence, priority and due time,
//! and a lifecycle `open -> accepted | dismissed | done` (`accepted -> done | dismissed`)
//! recorded in the audit trail.
//!
//! Generation ([`generate`]) is one `insert ... select` per rule, so the rule is its SQL and
//! re-running it is idempotent: every action has a `dedupe_key` (`<rule>:<signal id>` or
//! `<rule>:<health score id>`), and a rule never raises a key that exists in any status (a
//! dismissed action stays dismissed). Account-level rules also skip accounts that already have
//! a live action of the same rule, so five pricing questions make one task, not five. Only
//! signals of the last [`SIGNAL_WINDOW_DAYS`] days raise actions: a back-fill of old history
//! must not flood the inbox.
use chrono::{DateTime, Utc};
use entity::{enums::NbaStatus, next_best_actions};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::kernel::page::{decode_cursor, encode_cursor, micros, parse_micros};
use crate::kernel::{
    Actor, Page,
    checks::optional_text,
    sql::{Sql, count_rows},
};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::DomainResult,
};

/// Signals older than this raise no action.
pub const SIGNAL_WINDOW_DAYS: i32 = 30;
/// Days without a reply after a churn-risk message before someone should call.
pub const CHURN_NO_REPLY_DAYS: i32 = 3;
/// Longest dismissal reason.
pub const MAX_REASON_CHARS: usize = 500;

/// A documented generation rule.
#[derive(Debug, Clone, Copy)]
pub struct NbaRule {
    /// `next_best_actions.rule_key`.
    pub key: &'static str,
    /// When it fires and what it asks for, in plain words.
    pub description: &'static str,
    /// Priority of its actions (0..100).
    pub priority: i32,
}

/// The rules, most urgent first.
pub const NBA_RULES: &[NbaRule] = &[
    NbaRule {
        key: "churn_risk_unanswered",
        description: "An open churn-risk signal got no reply in its conversation for 3 days: \
                      call the account owner. Due at once.",
        priority: 90,
    },
    NbaRule {
        key: "health_critical_review",
        description: "The account's latest health score is critical: review the account with \
                      its owner. Due in a day.",
        priority: 85,
    },
    NbaRule {
        key: "complaint_unanswered",
        description: "An open complaint has no reply after it yet: reply and acknowledge it. \
                      Due 4 hours after the complaint.",
        priority: 80,
    },
    NbaRule {
        key: "buying_intent_without_opportunity",
        description: "Buying intent or a pricing question from an account without an open \
                      opportunity: create one and send pricing. Due a day after the message.",
        priority: 70,
    },
    NbaRule {
        key: "competitor_mention_follow_up",
        description: "A competitor was mentioned: send a comparison. Due 2 days after the \
                      message.",
        priority: 60,
    },
    NbaRule {
        key: "upsell_propose",
        description: "The contact asked for more seats or a bigger plan: propose an upgrade. \
                      Due 7 days after the message.",
        priority: 50,
    },
];

/// A next-best-action.
#[derive(Debug, Clone, PartialEq)]
pub struct NextBestAction {
    /// Id.
    pub id: Uuid,
    /// The account it concerns.
    pub account_id: Option<Uuid>,
    /// `cwc:` id.
    pub contact_global_id: Option<String>,
    /// `cw:` id.
    pub conversation_global_id: Option<String>,
    /// The signal that raised it.
    pub signal_id: Option<Uuid>,
    /// The rule that raised it.
    pub rule_key: String,
    /// What to do.
    pub title: String,
    /// Why.
    pub reason: String,
    /// `[{"kind", "id"}]`.
    pub evidence_refs: Value,
    /// 0..100, higher first.
    pub priority: i32,
    /// When it should be done.
    pub due_at: Option<DateTime<Utc>>,
    /// Lifecycle.
    pub status: NbaStatus,
    /// Who should do it (the account owner when raised).
    pub assignee_user_id: Option<Uuid>,
    /// Who accepted or dismissed it.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it was done.
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it was dismissed.
    pub dismiss_reason: Option<String>,
    /// Raised.
    pub created_at: DateTime<Utc>,
}

impl From<next_best_actions::Model> for NextBestAction {
    fn from(m: next_best_actions::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            contact_global_id: m.contact_global_id,
            conversation_global_id: m.conversation_global_id,
            signal_id: m.signal_id,
            rule_key: m.rule_key,
            title: m.title,
            reason: m.reason,
            evidence_refs: m.evidence_refs,
            priority: m.priority,
            due_at: m.due_at.map(|t| t.with_timezone(&Utc)),
            status: m.status,
            assignee_user_id: m.assignee_user_id,
            decided_by: m.decided_by,
            decided_at: m.decided_at.map(|t| t.with_timezone(&Utc)),
            completed_at: m.completed_at.map(|t| t.with_timezone(&Utc)),
            dismiss_reason: m.dismiss_reason,
            created_at: m.created_at.with_timezone(&Utc),
        }
    }
}

/// The database value of a status.
pub fn status_str(s: NbaStatus) -> &'static str {
    match s {
        NbaStatus::Open => "open",
        NbaStatus::Accepted => "accepted",
        NbaStatus::Dismissed => "dismissed",
        NbaStatus::Done => "done",
    }
}

const INSERT_COLUMNS: &str = "insert into next_best_actions (project_id, account_scope_id, \
     account_id, contact_global_id, conversation_global_id, signal_id, rule_key, title, reason, \
     evidence_refs, priority, due_at, assignee_user_id, dedupe_key)";

const ON_CONFLICT: &str = "on conflict (project_id, dedupe_key) \
     where status in ('open', 'accepted') and dedupe_key is not null do nothing";

/// The `select` of a signal-driven rule: `$1` project, `$2` scope, `$3` now, `$4` rule key,
/// `$5` priority. `types` are SQL string literals; `extra` further conditions on `s`/`a`.
fn signal_rule_sql(types: &str, title: &str, reason: &str, due: &str, extra: &str) -> String {
    format!(
        "{INSERT_COLUMNS} \
         select s.project_id, s.account_scope_id, s.account_id, s.contact_global_id, \
                s.conversation_global_id, s.id, $4, {title}, {reason}, \
                s.evidence_refs || jsonb_build_array(jsonb_build_object('kind', 'signal', 'id', s.id::text)), \
                $5, {due}, a.owner_user_id, $4 || ':' || s.id::text \
         from signals s \
         left join crm_accounts a on a.project_id = s.project_id and a.id = s.account_id \
         left join cw_contacts ct on ct.project_id = s.project_id and ct.id = s.contact_global_id \
         where s.project_id = $1 and s.account_scope_id = $2 and s.status = 'open' \
           and s.signal_type in ({types}) \
           and s.occurred_at > $3 - make_interval(days => {SIGNAL_WINDOW_DAYS}) \
           and (a.id is null or a.status = 'active') \
           and not exists (select 1 from next_best_actions n \
                           where n.project_id = $1 and n.dedupe_key = $4 || ':' || s.id::text) \
           {extra} \
         {ON_CONFLICT}"
    )
}

const WHO: &str = "coalesce(a.name, ct.name, 'the contact')";

/// No outgoing public reply in the signal's conversation after the signal.
const NO_REPLY_SINCE_SIGNAL: &str = "not exists (select 1 from cw_messages r \
     where r.project_id = $1 and r.conversation_global_id = s.conversation_global_id \
       and r.message_type = 'outgoing' and not r.private and r.created_at > s.occurred_at)";

/// No live action of this rule on the signal's account.
const NO_LIVE_ACTION_ON_ACCOUNT: &str = "(s.account_id is null or not exists (\
     select 1 from next_best_actions n where n.project_id = $1 and n.account_id = s.account_id \
       and n.rule_key = $4 and n.status in ('open', 'accepted')))";

fn rule_sql(key: &str) -> Option<String> {
    let sql = match key {
        "churn_risk_unanswered" => signal_rule_sql(
            "'churn_risk'",
            &format!("'Call ' || {WHO} || ': churn risk unanswered'"),
            &format!(
                "'They wrote \"' || coalesce(s.summary, '') || '\" on ' || \
                 to_char(s.occurred_at at time zone 'UTC', 'YYYY-MM-DD') || \
                 ' and nobody has replied for {CHURN_NO_REPLY_DAYS} days.'"
            ),
            "$3",
            &format!(
                "and s.occurred_at <= $3 - make_interval(days => {CHURN_NO_REPLY_DAYS}) \
                 and {NO_REPLY_SINCE_SIGNAL}"
            ),
        ),
        "complaint_unanswered" => signal_rule_sql(
            "'complaint'",
            &format!("'Reply to the complaint from ' || {WHO}"),
            "'A complaint has no reply yet: \"' || coalesce(s.summary, '') || '\"'",
            "s.occurred_at + interval '4 hours'",
            &format!("and {NO_REPLY_SINCE_SIGNAL}"),
        ),
        "buying_intent_without_opportunity" => signal_rule_sql(
            "'buying_intent', 'pricing_question'",
            &format!("'Create an opportunity for ' || {WHO} || ' and send pricing'"),
            "'They asked: \"' || coalesce(s.summary, '') || '\" and the account has no open \
              opportunity.'",
            "s.occurred_at + interval '1 day'",
            &format!(
                "and s.account_id is not null and not exists (\
                   select 1 from crm_opportunities o \
                   join crm_pipeline_stages st on st.project_id = o.project_id and st.id = o.stage_id \
                   where o.project_id = $1 and o.account_id = s.account_id \
                     and not st.is_won and not st.is_lost) \
                 and {NO_LIVE_ACTION_ON_ACCOUNT}"
            ),
        ),
        "competitor_mention_follow_up" => signal_rule_sql(
            "'competitor_mention'",
            &format!("'Send ' || {WHO} || ' a comparison with the competitor'"),
            "'A competitor came up: \"' || coalesce(s.summary, '') || '\"'",
            "s.occurred_at + interval '2 days'",
            "",
        ),
        "upsell_propose" => signal_rule_sql(
            "'upsell'",
            &format!("'Propose an upgrade to ' || {WHO}"),
            "'They asked for more: \"' || coalesce(s.summary, '') || '\"'",
            "s.occurred_at + interval '7 days'",
            &format!("and {NO_LIVE_ACTION_ON_ACCOUNT}"),
        ),
        "health_critical_review" => format!(
            "{INSERT_COLUMNS} \
             select h.project_id, h.account_scope_id, h.account_id, null, null, null, $4, \
                    'Review ' || a.name || ' with its owner: health is critical', \
                    'Health score ' || round(h.score::numeric) || ' is in the critical band' || \
                      coalesce(' (was ' || h.previous_band || ')', '') || '.', \
                    jsonb_build_array(jsonb_build_object('kind', 'health_score', 'id', h.id::text)) \
                      || h.evidence_refs, \
                    $5, $3 + interval '1 day', a.owner_user_id, $4 || ':' || h.id::text \
             from crm_accounts a \
             cross join lateral ( \
               select * from health_scores h1 \
               where h1.project_id = $1 and h1.account_id = a.id \
               order by h1.computed_at desc limit 1) h \
             where a.project_id = $1 and a.account_scope_id = $2 and a.status = 'active' \
               and h.band = 'critical' \
               and not exists (select 1 from next_best_actions n \
                               where n.project_id = $1 and n.dedupe_key = $4 || ':' || h.id::text) \
               and not exists (select 1 from next_best_actions n \
                               where n.project_id = $1 and n.account_id = a.id and n.rule_key = $4 \
                                 and n.status in ('open', 'accepted')) \
             {ON_CONFLICT}"
        ),
        _ => return None,
    };
    Some(sql)
}

/// What one generation run raised, per rule key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateReport {
    /// (rule key, actions raised).
    pub raised: Vec<(&'static str, u64)>,
}

impl GenerateReport {
    /// All actions raised.
    pub fn total(&self) -> u64 {
        self.raised.iter().map(|(_, n)| n).sum()
    }
}

/// Runs every rule over the project as of `now`.
pub async fn generate(
    db: &DatabaseConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> DomainResult<GenerateReport> {
    let mut report = GenerateReport::default();
    let txn = db.begin().await?;
    for rule in NBA_RULES {
        let Some(sql) = rule_sql(rule.key) else {
            continue;
        };
        let result = txn
            .execute_raw(Statement::from_sql_and_values(
                txn.get_database_backend(),
                sql,
                [
                    scope.project_id().into(),
                    scope.account_scope_id().into(),
                    now.into(),
                    rule.key.into(),
                    rule.priority.into(),
                ],
            ))
            .await?;
        report.raised.push((rule.key, result.rows_affected()));
    }
    txn.commit().await?;
    Ok(report)
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct NbaFilter {
    /// Statuses (any of); empty = open and accepted (the inbox).
    pub statuses: Vec<NbaStatus>,
    /// Account.
    pub account_id: Option<Uuid>,
    /// Assignee.
    pub assignee_user_id: Option<Uuid>,
}

/// Position in the inbox (priority first, then the earliest due).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NbaCursor {
    /// Priority of the last row seen.
    pub priority: i32,
    /// Its due time (`None` sorts last).
    pub due_at: Option<DateTime<Utc>>,
    /// Its id.
    pub id: Uuid,
}

impl NbaCursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        encode_cursor(&[
            "a",
            &self.id.to_string(),
            &self.priority.to_string(),
            &micros(self.due_at),
        ])
    }

    /// Reads a string made by [`NbaCursor::encode`].
    pub fn decode(cursor: &str) -> Option<Self> {
        let [kind, id, priority, due] = decode_cursor::<4>(cursor)?;
        (kind == "a").then_some(())?;
        Some(Self {
            priority: priority.parse().ok()?,
            due_at: parse_micros(&due)?,
            id: Uuid::parse_str(&id).ok()?,
        })
    }
}

impl NextBestAction {
    /// Its position in the inbox.
    pub fn cursor(&self) -> NbaCursor {
        NbaCursor {
            priority: self.priority,
            due_at: self.due_at,
            id: self.id,
        }
    }
}

/// Actions matching `filter`: highest priority first, then the earliest due.
pub async fn list_actions<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &NbaFilter,
    first: u64,
    after: Option<NbaCursor>,
) -> DomainResult<Page<NextBestAction>> {
    let mut sql = Sql::scoped(scope, "n");
    let statuses: Vec<&str> = if filter.statuses.is_empty() {
        vec!["open", "accepted"]
    } else {
        filter.statuses.iter().map(|s| status_str(*s)).collect()
    };
    let p = sql.param(sea_orm::Value::from(json!(statuses)));
    sql.and(format!(
        "n.status = any(array(select jsonb_array_elements_text({p}::jsonb)))"
    ));
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("n.account_id = {p}"));
    }
    if let Some(assignee) = filter.assignee_user_id {
        let p = sql.param(assignee);
        sql.and(format!("n.assignee_user_id = {p}"));
    }
    let total_count = count_rows(db, "next_best_actions n", &sql).await?;
    const DUE: &str = "coalesce(n.due_at, 'infinity'::timestamptz)";
    if let Some(after) = after {
        let pr = sql.param(-after.priority);
        let due = match after.due_at {
            Some(t) => sql.param(t),
            None => "'infinity'::timestamptz".to_owned(),
        };
        let i = sql.param(after.id);
        sql.and(format!("(-n.priority, {DUE}, n.id) > ({pr}, {due}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = next_best_actions::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select n.* from next_best_actions n where {} \
                 order by -n.priority, {DUE}, n.id limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// One action of the scope.
pub async fn get_action<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<NextBestAction> {
    next_best_actions::Entity::find_by_id(id)
        .filter(scope.filter_for::<next_best_actions::Entity>())
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("next-best-action"))
}

/// A lifecycle step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// open -> accepted.
    Accept,
    /// open | accepted -> dismissed, with an optional reason.
    Dismiss(Option<String>),
    /// open | accepted -> done.
    Complete,
}

/// Applies `decision` to action `id`, recording `crm.nba.accepted|dismissed|done` with the
/// action and its evidence. A step the lifecycle does not allow is a conflict and writes
/// nothing.
pub async fn decide(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    decision: Decision,
) -> DomainResult<NextBestAction> {
    let reason = match &decision {
        Decision::Dismiss(reason) => optional_text("reason", reason.as_deref(), MAX_REASON_CHARS)
            .map_err(|e| DomainError::Validation(vec![e]))?,
        _ => None,
    };
    let txn = db.begin().await?;
    let current = next_best_actions::Entity::find_by_id(id)
        .filter(scope.filter_for::<next_best_actions::Entity>())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("next-best-action"))?;
    let from = current.status;
    let (to, action) = match (&decision, from) {
        (Decision::Accept, NbaStatus::Open) => (NbaStatus::Accepted, "crm.nba.accepted"),
        (Decision::Dismiss(_), NbaStatus::Open | NbaStatus::Accepted) => {
            (NbaStatus::Dismissed, "crm.nba.dismissed")
        }
        (Decision::Complete, NbaStatus::Open | NbaStatus::Accepted) => {
            (NbaStatus::Done, "crm.nba.done")
        }
        _ => {
            return Err(DomainError::Conflict(format!(
                "This action is {}; it cannot be {}",
                status_str(from),
                match decision {
                    Decision::Accept => "accepted",
                    Decision::Dismiss(_) => "dismissed",
                    Decision::Complete => "marked done",
                }
            )));
        }
    };
    let mut evidence = vec![EvidenceRef::new("next_best_action", id)];
    if let Some(items) = current.evidence_refs.as_array() {
        for item in items.iter().take(10) {
            if let (Some(kind), Some(ref_id)) = (
                item.get("kind").and_then(Value::as_str),
                item.get("id").and_then(Value::as_str),
            ) {
                let kind: &'static str = match kind {
                    "message" => "message",
                    "chunk" => "chunk",
                    "signal" => "signal",
                    "health_score" => "health_score",
                    "conversation" => "conversation",
                    _ => continue,
                };
                evidence.push(EvidenceRef::new(kind, ref_id));
            }
        }
    }
    let now = Utc::now();
    let mut active = current.into_active_model();
    active.status = Set(to);
    match to {
        NbaStatus::Done => {
            active.completed_at = Set(Some(now.into()));
            if from == NbaStatus::Open {
                active.decided_by = Set(actor.user_id);
                active.decided_at = Set(Some(now.into()));
            }
        }
        _ => {
            active.decided_by = Set(actor.user_id);
            active.decided_at = Set(Some(now.into()));
        }
    }
    if to == NbaStatus::Dismissed {
        active.dismiss_reason = Set(reason.clone());
    }
    let updated = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("next_best_action"),
            target_id: Some(id.to_string()),
            evidence,
            meta: json!({
                "from": status_str(from),
                "to": status_str(to),
                "rule": updated.rule_key,
                "reason": reason,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_its_sql() {
        for rule in NBA_RULES {
            assert!(rule_sql(rule.key).is_some(), "{} has no SQL", rule.key);
        }
    }

    #[test]
    fn cursors_round_trip_with_and_without_due_time() {
        let with_due = NbaCursor {
            priority: 80,
            due_at: DateTime::from_timestamp_micros(1_700_000_000_000_000),
            id: Uuid::new_v4(),
        };
        let without = NbaCursor {
            due_at: None,
            ..with_due
        };
        assert_eq!(NbaCursor::decode(&with_due.encode()), Some(with_due));
        assert_eq!(NbaCursor::decode(&without.encode()), Some(without));
    }
}
