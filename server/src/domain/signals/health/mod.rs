//! Account health (issue 6): a 0-100 score per account from five measures of its conversation
//! evidence and pipeline, kept as a history so trends and band changes are visible and the risk
//! radar ([`crate::domain::signals::radar`]) can react to them.
//!
//! An account's conversations are those of its **confirmed** contacts
//! (`crm_account_contacts.link_status = 'confirmed'`, `cw_conversations.contact_global_id`);
//! their messages are `cw_messages` of those conversations. Only `incoming` (the contact wrote)
//! and `outgoing` (we replied) messages count; private notes and activity messages are ignored.
//! Everything is measured at a given `now`: messages and signals after it are not seen.
//!
//! # Measures and sub-scores
//!
//! Each measure has a raw value and a sub-score from 0 (bad) to 100 (good); `lin(x, a, b)` below
//! is 100 at `x <= a`, 0 at `x >= b` and linear in between.
//!
//! | measure | value | sub-score | without data |
//! |---|---|---|---|
//! | `reply_latency` | average hours from the start of a customer turn to our next reply, over turns starting in the last [`WINDOW_DAYS`] days | `lin(hours, 1, 48)` | no turn: value none, 100 (nobody waited) |
//! | `unresolved_conversations` | conversations now `open` or `pending` (any age) | `max(0, 100 - 20 n)`: 0 -> 100, 5+ -> 0 | 0 conversations: 100 |
//! | `recent_signals` | live (`open` or `acknowledged`) `churn_risk` / `complaint` signals that occurred in the last [`WINDOW_DAYS`] days | `max(0, 100 - 34 n)` | none: 100 |
//! | `activity_recency` | days since the last message (either direction) | `lin(days, 3, 60)` | no message ever: value none, 0 |
//! | `opportunity_state` | open opportunities | won in the last [`WON_WINDOW_DAYS`] days 100, else open ones 75, else only lost ones 20, else (none, or only older wins) 50 | no opportunity: value none, 50 |
//!
//! A customer turn is an incoming message whose previous message in the conversation (within
//! the window) is not incoming, so a burst of messages counts once; a turn we have not answered
//! yet counts with the hours it has waited until `now`. Buying intent, upsell and the other
//! signal types cost nothing.
//!
//! # Score, band, trend
//!
//! `score = sum(weight x sub-score) / 100`, rounded to two decimals (sub-scores are stored
//! rounded to two decimals too). Weights are the project's `crm_health_weights` rows, or
//! [`DEFAULT_WEIGHTS`] (reply latency 25, unresolved 20, signals 25, recency 15, opportunities
//! 15) when it has none. Band: `healthy` at [`HEALTHY_AT`] or more, `at_risk` at [`AT_RISK_AT`]
//! or more, else `critical`. Trend against the account's previous score: `new` when there is
//! none, `flat` when they differ by less than [`FLAT_BELOW`] points, else `up` or `down`.
//!
//! # History
//!
//! Every computation appends a `health_scores` row, except one that would repeat the latest row
//! within [`QUIET_HOURS`] hours (same band and the same score rounded to a whole number): then
//! the latest row stands and is returned, so frequent recomputation does not bury the history
//! in identical rows. Each appended row is shown to the radar in the same transaction.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{crm_accounts, crm_health_weights, enums::CrmAccountStatus, health_scores};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, TransactionTrait, Value as DbValue,
    sea_query::LockType,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

pub use entity::enums::{HealthBand as Band, HealthMeasure as Measure, HealthTrend as Trend};

use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::DomainResult,
};
use crate::{
    domain::{crm::accounts, signals::radar},
    kernel::{Actor, checks::Checks},
};

/// Every measure, in display order.
pub const MEASURES: [Measure; 5] = [
    Measure::ReplyLatency,
    Measure::UnresolvedConversations,
    Measure::RecentSignals,
    Measure::ActivityRecency,
    Measure::OpportunityState,
];
/// Weights of a project that has set none (they sum to 100).
pub const DEFAULT_WEIGHTS: [(Measure, i32); 5] = [
    (Measure::ReplyLatency, 25),
    (Measure::UnresolvedConversations, 20),
    (Measure::RecentSignals, 25),
    (Measure::ActivityRecency, 15),
    (Measure::OpportunityState, 15),
];
/// Days of messages (reply latency) and signals (recent signals) a score looks at.
pub const WINDOW_DAYS: i64 = 30;
/// A win this recent makes the opportunity state 100.
pub const WON_WINDOW_DAYS: i64 = 90;
/// Lowest score of the `healthy` band.
pub const HEALTHY_AT: f64 = 70.0;
/// Lowest score of the `at_risk` band.
pub const AT_RISK_AT: f64 = 40.0;
/// Scores closer than this to the previous one are a `flat` trend.
pub const FLAT_BELOW: f64 = 2.0;
/// A computation repeating the latest row (same band and whole score) within this many hours
/// appends nothing.
pub const QUIET_HOURS: i64 = 24;
/// Most rows [`history`] returns.
pub const MAX_HISTORY: u64 = 365;
/// Most evidence references on one score.
pub const MAX_SCORE_EVIDENCE: usize = 20;

/// Reply latency at or below this many hours scores 100.
const REPLY_BEST_HOURS: f64 = 1.0;
/// Reply latency at or above this many hours scores 0.
const REPLY_WORST_HOURS: f64 = 48.0;
/// Points one unresolved conversation costs.
const UNRESOLVED_COST: f64 = 20.0;
/// Points one risk signal costs.
const SIGNAL_COST: f64 = 34.0;
/// Activity this many days ago or less scores 100.
const RECENCY_BEST_DAYS: f64 = 3.0;
/// Activity this many days ago or more scores 0.
const RECENCY_WORST_DAYS: f64 = 60.0;

/// The database value of a measure.
pub fn measure_key(measure: Measure) -> &'static str {
    match measure {
        Measure::ReplyLatency => "reply_latency",
        Measure::UnresolvedConversations => "unresolved_conversations",
        Measure::RecentSignals => "recent_signals",
        Measure::ActivityRecency => "activity_recency",
        Measure::OpportunityState => "opportunity_state",
    }
}

/// The measure of a database value.
pub fn parse_measure(key: &str) -> Option<Measure> {
    MEASURES.into_iter().find(|m| measure_key(*m) == key)
}

/// The database value of a band.
pub fn band_key(band: Band) -> &'static str {
    match band {
        Band::Healthy => "healthy",
        Band::AtRisk => "at_risk",
        Band::Critical => "critical",
    }
}

/// A band in words, for explanations.
pub fn band_label(band: Band) -> &'static str {
    match band {
        Band::Healthy => "healthy",
        Band::AtRisk => "at risk",
        Band::Critical => "critical",
    }
}

/// How good a band is: healthy 2, at risk 1, critical 0.
pub fn band_rank(band: Band) -> i32 {
    match band {
        Band::Healthy => 2,
        Band::AtRisk => 1,
        Band::Critical => 0,
    }
}

/// The band of a score.
pub fn band_of(score: f64) -> Band {
    if score >= HEALTHY_AT {
        Band::Healthy
    } else if score >= AT_RISK_AT {
        Band::AtRisk
    } else {
        Band::Critical
    }
}

/// The trend of `score` against the previous one.
pub fn trend_of(score: f64, previous: Option<f64>) -> Trend {
    match previous {
        None => Trend::New,
        Some(p) if (score - p).abs() < FLAT_BELOW => Trend::Flat,
        Some(p) if score > p => Trend::Up,
        Some(_) => Trend::Down,
    }
}

/// 100 at `x <= best`, 0 at `x >= worst`, linear in between.
fn linear(x: f64, best: f64, worst: f64) -> f64 {
    if x <= best {
        100.0
    } else if x >= worst {
        0.0
    } else {
        100.0 * (worst - x) / (worst - best)
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Sub-score of an average reply latency in hours (none: nobody waited, 100).
pub fn reply_latency_score(hours: Option<f64>) -> f64 {
    hours.map_or(100.0, |h| linear(h, REPLY_BEST_HOURS, REPLY_WORST_HOURS))
}

/// Sub-score of a number of unresolved conversations.
pub fn unresolved_score(count: u64) -> f64 {
    (100.0 - UNRESOLVED_COST * count as f64).max(0.0)
}

/// Sub-score of a number of recent risk signals.
pub fn recent_signals_score(count: u64) -> f64 {
    (100.0 - SIGNAL_COST * count as f64).max(0.0)
}

/// Sub-score of the days since the last message (none: no activity ever, 0).
pub fn activity_recency_score(days: Option<f64>) -> f64 {
    days.map_or(0.0, |d| linear(d, RECENCY_BEST_DAYS, RECENCY_WORST_DAYS))
}

/// Where an account's opportunities stand, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityStanding {
    /// One was won in the last [`WON_WINDOW_DAYS`] days.
    WonRecently,
    /// At least one is open.
    Open,
    /// None, or only wins older than [`WON_WINDOW_DAYS`] days (with or without losses).
    Quiet,
    /// Every one of them was lost.
    OnlyLost,
}

/// Sub-score of an opportunity standing.
pub fn opportunity_score(standing: OpportunityStanding) -> f64 {
    match standing {
        OpportunityStanding::WonRecently => 100.0,
        OpportunityStanding::Open => 75.0,
        OpportunityStanding::Quiet => 50.0,
        OpportunityStanding::OnlyLost => 20.0,
    }
}

/// A measure's weight in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight {
    /// The measure.
    pub measure: Measure,
    /// 0..=100; a project's weights sum to 100.
    pub weight: i32,
    /// Whether it is the app's default (the project has set no weights).
    pub is_default: bool,
}

/// One measure of a score.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureScore {
    /// The measure.
    pub measure: Measure,
    /// Its raw value (hours, a count, days, open opportunities); `None` without data.
    pub value: Option<f64>,
    /// Its sub-score, 0..=100.
    pub score: f64,
    /// Its weight when the score was computed.
    pub weight: i32,
}

fn plural(n: f64, one: &str, many: &str) -> String {
    let n = n.round();
    if (n - 1.0).abs() < f64::EPSILON {
        format!("1 {one}")
    } else {
        format!("{n:.0} {many}")
    }
}

impl MeasureScore {
    /// Points this measure cost the score (weight x missing sub-score / 100).
    pub fn loss(&self) -> f64 {
        f64::from(self.weight) * (100.0 - self.score) / 100.0
    }

    /// The measure's state in plain words, e.g. "3 unresolved conversations".
    pub fn summary(&self) -> String {
        match (self.measure, self.value) {
            (Measure::ReplyLatency, None) => "no customer message waiting for a reply".to_owned(),
            (Measure::ReplyLatency, Some(h)) => {
                format!("replies take {h:.1} hours on average")
            }
            (Measure::UnresolvedConversations, v) => plural(
                v.unwrap_or(0.0),
                "unresolved conversation",
                "unresolved conversations",
            ),
            (Measure::RecentSignals, v) => format!(
                "{} in the last {WINDOW_DAYS} days",
                plural(v.unwrap_or(0.0), "risk signal", "risk signals")
            ),
            (Measure::ActivityRecency, None) => "no conversation activity yet".to_owned(),
            (Measure::ActivityRecency, Some(d)) => {
                format!("last activity {}", plural(d, "day ago", "days ago"))
            }
            (Measure::OpportunityState, value) => {
                if self.score >= 100.0 {
                    format!("an opportunity won in the last {WON_WINDOW_DAYS} days")
                } else if self.score >= 75.0 {
                    plural(
                        value.unwrap_or(0.0),
                        "open opportunity",
                        "open opportunities",
                    )
                } else if self.score >= 50.0 {
                    if value.is_none() {
                        "no opportunities".to_owned()
                    } else {
                        "no open opportunities".to_owned()
                    }
                } else {
                    "only lost opportunities".to_owned()
                }
            }
        }
    }
}

/// One computed health score of an account.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthScore {
    /// Row id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// 0..=100, two decimals.
    pub score: f64,
    /// Band of the score.
    pub band: Band,
    /// The account's score before this one.
    pub previous_score: Option<f64>,
    /// Its band.
    pub previous_band: Option<Band>,
    /// Against the previous score.
    pub trend: Trend,
    /// Every measure, in [`MEASURES`] order.
    pub measures: Vec<MeasureScore>,
    /// What drove it (`[{"kind", "id"}]`: signals, conversations, messages, opportunities).
    pub evidence_refs: Value,
    /// The `now` it was computed for.
    pub computed_at: DateTime<Utc>,
}

impl HealthScore {
    /// Its measure `measure`.
    pub fn measure(&self, measure: Measure) -> Option<&MeasureScore> {
        self.measures.iter().find(|m| m.measure == measure)
    }
}

impl From<health_scores::Model> for HealthScore {
    fn from(m: health_scores::Model) -> Self {
        let measures = MEASURES
            .iter()
            .map(|measure| {
                let stored = m.measures.get(measure_key(*measure));
                let field = |name: &str| stored.and_then(|s| s.get(name));
                MeasureScore {
                    measure: *measure,
                    value: field("value").and_then(Value::as_f64),
                    score: field("score").and_then(Value::as_f64).unwrap_or(0.0),
                    weight: field("weight")
                        .and_then(Value::as_i64)
                        .and_then(|w| i32::try_from(w).ok())
                        .unwrap_or(0),
                }
            })
            .collect();
        Self {
            id: m.id,
            account_id: m.account_id,
            score: m.score,
            band: m.band,
            previous_score: m.previous_score,
            previous_band: m.previous_band,
            trend: m.trend,
            measures,
            evidence_refs: m.evidence_refs,
            computed_at: m.computed_at.with_timezone(&Utc),
        }
    }
}

/// The project's weights of every measure, in [`MEASURES`] order; [`DEFAULT_WEIGHTS`] when it
/// has set none.
pub async fn weights<C: ConnectionTrait>(db: &C, scope: &Scope) -> DomainResult<Vec<Weight>> {
    let rows = scope.rows::<crm_health_weights::Entity>().all(db).await?;
    if rows.is_empty() {
        return Ok(DEFAULT_WEIGHTS
            .iter()
            .map(|(measure, weight)| Weight {
                measure: *measure,
                weight: *weight,
                is_default: true,
            })
            .collect());
    }
    let stored: HashMap<Measure, i32> = rows.into_iter().map(|r| (r.measure, r.weight)).collect();
    Ok(MEASURES
        .iter()
        .map(|measure| Weight {
            measure: *measure,
            weight: stored.get(measure).copied().unwrap_or(0),
            is_default: false,
        })
        .collect())
}

fn check_weights(input: &[(Measure, i32)]) -> DomainResult<()> {
    let mut checks = Checks::default();
    let mut seen = HashSet::new();
    for (measure, _) in input {
        if !seen.insert(*measure) {
            checks.fail(
                "weights",
                &format!("{} is given more than once", measure_key(*measure)),
            );
        }
    }
    for measure in MEASURES {
        if !seen.contains(&measure) {
            checks.fail(
                "weights",
                &format!(
                    "{} is missing: give every measure once",
                    measure_key(measure)
                ),
            );
        }
    }
    if input.iter().any(|(_, w)| !(0..=100).contains(w)) {
        checks.fail("weights", "every weight must be between 0 and 100");
    }
    let sum: i64 = input.iter().map(|(_, w)| i64::from(*w)).sum();
    if sum != 100 {
        checks.fail(
            "weights",
            &format!("the weights must sum to 100 (they sum to {sum})"),
        );
    }
    checks.finish()
}

fn weights_json(weights: &[Weight]) -> Value {
    Value::Object(
        weights
            .iter()
            .map(|w| (measure_key(w.measure).to_owned(), json!(w.weight)))
            .collect(),
    )
}

/// Sets the project's weights: every measure exactly once, each 0..=100, summing to 100 (else
/// `Validation` on `weights` and nothing is written). Writes all of them in one transaction
/// and records `crm.health_weights.updated`. Setting the weights the project already has
/// writes nothing. Scores are not recomputed here: the caller enqueues that.
pub async fn set_weights(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: &[(Measure, i32)],
) -> DomainResult<Vec<Weight>> {
    check_weights(input)?;
    let txn = db.begin().await?;
    let before = weights(&txn, scope).await?;
    let wanted: HashMap<Measure, i32> = input.iter().copied().collect();
    let unchanged = before
        .iter()
        .all(|w| !w.is_default && wanted.get(&w.measure) == Some(&w.weight));
    if unchanged {
        txn.commit().await?;
        return Ok(before);
    }
    for measure in MEASURES {
        let weight = wanted.get(&measure).copied().unwrap_or(0);
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "insert into crm_health_weights (project_id, account_scope_id, measure, weight) \
             values ($1, $2, $3, $4) \
             on conflict (project_id, measure) do update set weight = excluded.weight",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                measure_key(measure).into(),
                weight.into(),
            ],
        ))
        .await?;
    }
    let after = weights(&txn, scope).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.health_weights.updated",
            target_kind: Some("project"),
            target_id: Some(scope.project_id().to_string()),
            evidence: vec![EvidenceRef::new("project", scope.project_id())],
            meta: json!({
                "weights": weights_json(&after),
                "previous": weights_json(&before),
                "previousWereDefaults": before.iter().all(|w| w.is_default),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// A customer turn: its first message and how long it waited for our reply.
#[derive(Debug, Clone)]
struct Turn {
    message_id: String,
    hours: f64,
}

/// What a score is computed from.
#[derive(Debug, Clone, Default)]
struct Inputs {
    /// Customer turns in the window, longest wait first.
    turns: Vec<Turn>,
    /// Open or pending conversations.
    unresolved: u64,
    /// Some of them (evidence).
    unresolved_ids: Vec<String>,
    /// Live risk signals in the window.
    risk_signals: u64,
    /// Some of them, newest first (evidence).
    signal_ids: Vec<Uuid>,
    /// The last message and when it was written.
    last_message: Option<(String, DateTime<Utc>)>,
    /// Open opportunities.
    open_opportunities: u64,
    /// Whether the account has any opportunity.
    has_opportunities: bool,
    /// Where they stand.
    standing: Option<OpportunityStanding>,
    /// The opportunities behind the standing (evidence).
    opportunity_ids: Vec<Uuid>,
}

/// Conversations of the account's confirmed contacts (`$1` project, `$2` scope, `$3` account).
const ACCOUNT_CONVERSATIONS: &str = "select c.id, c.status from cw_conversations c \
     where c.project_id = $1 and c.account_scope_id = $2 and c.contact_global_id in ( \
       select l.contact_global_id from crm_account_contacts l \
       where l.project_id = $1 and l.account_scope_id = $2 and l.account_id = $3 \
         and l.link_status = 'confirmed')";

/// Evidence kept per measure.
const EVIDENCE_PER_MEASURE: usize = 5;

async fn gather<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Inputs> {
    let backend = db.get_database_backend();
    let base = || -> Vec<DbValue> {
        vec![
            scope.project_id().into(),
            scope.account_scope_id().into(),
            account_id.into(),
        ]
    };
    let window_start = now - Duration::days(WINDOW_DAYS);
    let mut inputs = Inputs::default();

    let mut values = base();
    values.push(window_start.into());
    values.push(now.into());
    let turns = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}), \
                 msgs as ( \
                   select m.id, m.conversation_global_id as conversation, m.message_type, \
                     m.created_at, lag(m.message_type) over ( \
                       partition by m.conversation_global_id order by m.created_at, m.id \
                     ) as previous_type \
                   from cw_messages m \
                   where m.project_id = $1 and m.account_scope_id = $2 \
                     and m.conversation_global_id in (select id from conv) \
                     and not m.private and m.message_type in ('incoming', 'outgoing') \
                     and m.created_at > $4 and m.created_at <= $5) \
                 select t.id, extract(epoch from (coalesce(r.replied_at, $5) - t.created_at)) \
                   ::float8 / 3600.0 as hours \
                 from msgs t \
                 left join lateral ( \
                   select min(o.created_at) as replied_at from msgs o \
                   where o.conversation = t.conversation and o.message_type = 'outgoing' \
                     and (o.created_at, o.id) > (t.created_at, t.id)) r on true \
                 where t.message_type = 'incoming' and t.previous_type is distinct from 'incoming' \
                 order by hours desc, t.id"
            ),
            values,
        ))
        .await?;
    for row in turns {
        inputs.turns.push(Turn {
            message_id: row.try_get("", "id")?,
            hours: row.try_get("", "hours")?,
        });
    }

    let unresolved = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}) \
                 select c.id, count(*) over () as n from conv c \
                 where c.status in ('open', 'pending') order by c.id limit {EVIDENCE_PER_MEASURE}"
            ),
            base(),
        ))
        .await?;
    for row in unresolved {
        let n: i64 = row.try_get("", "n")?;
        inputs.unresolved = n.max(0) as u64;
        inputs.unresolved_ids.push(row.try_get("", "id")?);
    }

    let mut values = base();
    values.push(window_start.into());
    values.push(now.into());
    let signals = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "select s.id, count(*) over () as n from signals s \
                 where s.project_id = $1 and s.account_scope_id = $2 and s.account_id = $3 \
                   and s.status in ('open', 'acknowledged') \
                   and s.signal_type in ('churn_risk', 'complaint') \
                   and s.occurred_at > $4 and s.occurred_at <= $5 \
                 order by s.occurred_at desc, s.id limit {EVIDENCE_PER_MEASURE}"
            ),
            values,
        ))
        .await?;
    for row in signals {
        let n: i64 = row.try_get("", "n")?;
        inputs.risk_signals = n.max(0) as u64;
        inputs.signal_ids.push(row.try_get("", "id")?);
    }

    let mut values = base();
    values.push(now.into());
    let last = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}) \
                 select m.id, m.created_at from cw_messages m \
                 where m.project_id = $1 and m.account_scope_id = $2 \
                   and m.conversation_global_id in (select id from conv) \
                   and not m.private and m.message_type in ('incoming', 'outgoing') \
                   and m.created_at <= $4 \
                 order by m.created_at desc, m.id desc limit 1"
            ),
            values,
        ))
        .await?;
    if let Some(row) = last {
        inputs.last_message = Some((row.try_get("", "id")?, row.try_get("", "created_at")?));
    }

    let opportunities = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select o.id, s.is_won, s.is_lost, o.closed_at from crm_opportunities o \
             join crm_pipeline_stages s on s.project_id = o.project_id and s.id = o.stage_id \
             where o.project_id = $1 and o.account_scope_id = $2 and o.account_id = $3 \
             order by o.updated_at desc, o.id",
            base(),
        ))
        .await?;
    let won_since = now - Duration::days(WON_WINDOW_DAYS);
    let (mut won_recently, mut open, mut lost, mut won) = (vec![], vec![], vec![], 0u64);
    for row in opportunities {
        let id: Uuid = row.try_get("", "id")?;
        let is_won: bool = row.try_get("", "is_won")?;
        let is_lost: bool = row.try_get("", "is_lost")?;
        let closed_at: Option<DateTime<Utc>> = row.try_get("", "closed_at")?;
        if is_won {
            won += 1;
            if closed_at.is_some_and(|t| t > won_since) {
                won_recently.push(id);
            }
        } else if is_lost {
            lost.push(id);
        } else {
            open.push(id);
        }
    }
    inputs.has_opportunities = won > 0 || !lost.is_empty() || !open.is_empty();
    inputs.open_opportunities = open.len() as u64;
    let (standing, mut ids) = if !won_recently.is_empty() {
        (OpportunityStanding::WonRecently, won_recently)
    } else if !open.is_empty() {
        (OpportunityStanding::Open, open)
    } else if !lost.is_empty() && won == 0 {
        (OpportunityStanding::OnlyLost, lost)
    } else {
        (OpportunityStanding::Quiet, vec![])
    };
    ids.truncate(3);
    inputs.standing = Some(standing);
    inputs.opportunity_ids = ids;
    Ok(inputs)
}

/// The measures and their evidence from `inputs`.
fn evaluate(
    inputs: &Inputs,
    weights: &[Weight],
    now: DateTime<Utc>,
) -> (Vec<MeasureScore>, f64, Value) {
    let weight_of = |measure: Measure| {
        weights
            .iter()
            .find(|w| w.measure == measure)
            .map_or(0, |w| w.weight)
    };
    let latency = (!inputs.turns.is_empty())
        .then(|| inputs.turns.iter().map(|t| t.hours).sum::<f64>() / inputs.turns.len() as f64);
    let days = inputs
        .last_message
        .as_ref()
        .map(|(_, at)| ((now - *at).num_seconds().max(0) as f64) / 86_400.0);
    let standing = inputs.standing.unwrap_or(OpportunityStanding::Quiet);
    let raw = [
        (Measure::ReplyLatency, latency, reply_latency_score(latency)),
        (
            Measure::UnresolvedConversations,
            Some(inputs.unresolved as f64),
            unresolved_score(inputs.unresolved),
        ),
        (
            Measure::RecentSignals,
            Some(inputs.risk_signals as f64),
            recent_signals_score(inputs.risk_signals),
        ),
        (Measure::ActivityRecency, days, activity_recency_score(days)),
        (
            Measure::OpportunityState,
            inputs
                .has_opportunities
                .then_some(inputs.open_opportunities as f64),
            opportunity_score(standing),
        ),
    ];
    let total: f64 = raw
        .iter()
        .map(|(measure, _, sub)| f64::from(weight_of(*measure)) * sub)
        .sum::<f64>()
        / 100.0;
    let score = round2(total.clamp(0.0, 100.0));
    let measures = raw
        .iter()
        .map(|(measure, value, sub)| MeasureScore {
            measure: *measure,
            value: value.map(round2),
            score: round2(*sub),
            weight: weight_of(*measure),
        })
        .collect();

    let mut evidence: Vec<Value> = Vec::new();
    for id in &inputs.signal_ids {
        evidence.push(json!({ "kind": "signal", "id": id.to_string() }));
    }
    for id in &inputs.unresolved_ids {
        evidence.push(json!({ "kind": "conversation", "id": id }));
    }
    for turn in inputs
        .turns
        .iter()
        .filter(|t| t.hours > REPLY_BEST_HOURS)
        .take(3)
    {
        evidence.push(json!({ "kind": "message", "id": turn.message_id }));
    }
    if let (Some((id, _)), Some(d)) = (&inputs.last_message, days)
        && d > RECENCY_BEST_DAYS
    {
        evidence.push(json!({ "kind": "message", "id": id }));
    }
    for id in &inputs.opportunity_ids {
        evidence.push(json!({ "kind": "opportunity", "id": id.to_string() }));
    }
    evidence.truncate(MAX_SCORE_EVIDENCE);
    (measures, score, Value::Array(evidence))
}

fn measures_json(measures: &[MeasureScore]) -> Value {
    let mut object = Map::new();
    for m in measures {
        object.insert(
            measure_key(m.measure).to_owned(),
            json!({ "value": m.value, "score": m.score, "weight": m.weight }),
        );
    }
    Value::Object(object)
}

fn scores_of(scope: &Scope) -> sea_orm::Select<health_scores::Entity> {
    scope.rows::<health_scores::Entity>()
}

/// The account's latest score computed at or before `at`.
async fn latest_at<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    at: DateTime<Utc>,
) -> DomainResult<Option<health_scores::Model>> {
    Ok(scores_of(scope)
        .filter(health_scores::Column::AccountId.eq(account_id))
        .filter(health_scores::Column::ComputedAt.lte(at))
        .order_by_desc(health_scores::Column::ComputedAt)
        .order_by_desc(health_scores::Column::CreatedAt)
        .order_by_desc(health_scores::Column::Id)
        .one(db)
        .await?)
}

/// Computes the account's health at `now`, appends it to the history (unless it repeats the
/// latest row within [`QUIET_HOURS`] hours: then that row is returned) and lets the radar
/// react, all in one transaction. Merged accounts are a conflict; archived ones are scored.
pub async fn compute_account(
    db: &DatabaseConnection,
    scope: &Scope,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<HealthScore> {
    let txn = db.begin().await?;
    // Serializes computations of one account, so each sees the other's row as its previous.
    let account = crm_accounts::Entity::find_by_id(account_id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .lock(LockType::NoKeyUpdate)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    if account.status == CrmAccountStatus::Merged {
        return Err(DomainError::Conflict(
            "This account was merged into another account".to_owned(),
        ));
    }
    let weights = weights(&txn, scope).await?;
    let previous = latest_at(&txn, scope, account_id, now).await?;
    let inputs = gather(&txn, scope, account_id, now).await?;
    let (measures, score, evidence) = evaluate(&inputs, &weights, now);
    let band = band_of(score);
    if let Some(previous) = &previous {
        let age = now - previous.computed_at.with_timezone(&Utc);
        if previous.band == band
            && previous.score.round() == score.round()
            && age < Duration::hours(QUIET_HOURS)
        {
            txn.commit().await?;
            return Ok(previous.clone().into());
        }
    }
    let row = health_scores::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        account_id: Set(account_id),
        score: Set(score),
        band: Set(band),
        previous_score: Set(previous.as_ref().map(|p| p.score)),
        previous_band: Set(previous.as_ref().map(|p| p.band)),
        trend: Set(trend_of(score, previous.as_ref().map(|p| p.score))),
        measures: Set(measures_json(&measures)),
        evidence_refs: Set(evidence),
        computed_at: Set(now.into()),
        created_at: Set(Utc::now().into()),
    }
    .insert(&txn)
    .await?;
    let health: HealthScore = row.into();
    radar::on_health_score(&txn, scope, &health).await?;
    txn.commit().await?;
    Ok(health)
}

/// Computes every active account of the project at `now` (each in its own transaction);
/// returns how many were computed. Accounts merged meanwhile are skipped.
pub async fn recompute_project(
    db: &DatabaseConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> DomainResult<u64> {
    let ids: Vec<Uuid> = crm_accounts::Entity::find()
        .select_only()
        .column(crm_accounts::Column::Id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .filter(crm_accounts::Column::Status.eq(CrmAccountStatus::Active))
        .order_by_asc(crm_accounts::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut computed = 0;
    for id in ids {
        match compute_account(db, scope, id, now).await {
            Ok(_) => computed += 1,
            Err(DomainError::NotFound(_) | DomainError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(computed)
}

/// The account's scores, newest first, at most `first` (capped at [`MAX_HISTORY`]). An account
/// outside the scope is `NotFound`.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    first: u64,
) -> DomainResult<Vec<HealthScore>> {
    accounts::find(db, scope, account_id, false).await?;
    Ok(scores_of(scope)
        .filter(health_scores::Column::AccountId.eq(account_id))
        .order_by_desc(health_scores::Column::ComputedAt)
        .order_by_desc(health_scores::Column::CreatedAt)
        .order_by_desc(health_scores::Column::Id)
        .limit(first.min(MAX_HISTORY))
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The account's newest score, if it has one. An account outside the scope is `NotFound`.
pub async fn latest<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
) -> DomainResult<Option<HealthScore>> {
    Ok(history(db, scope, account_id, 1).await?.into_iter().next())
}

/// The newest score of each of `account_ids` that has one (ids outside the scope have none),
/// for loading many accounts at once.
pub async fn latest_for_accounts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_ids: &[Uuid],
) -> DomainResult<HashMap<Uuid, HealthScore>> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(scores_of(scope)
        .filter(health_scores::Column::AccountId.is_in(account_ids.iter().copied()))
        .distinct_on([health_scores::Column::AccountId])
        .order_by_asc(health_scores::Column::AccountId)
        .order_by_desc(health_scores::Column::ComputedAt)
        .order_by_desc(health_scores::Column::CreatedAt)
        .order_by_desc(health_scores::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.account_id, m.into()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_weights_cover_every_measure_and_sum_to_100() {
        let measures: HashSet<Measure> = DEFAULT_WEIGHTS.iter().map(|(m, _)| *m).collect();
        assert_eq!(measures.len(), MEASURES.len());
        assert_eq!(DEFAULT_WEIGHTS.iter().map(|(_, w)| w).sum::<i32>(), 100);
        assert!(check_weights(&DEFAULT_WEIGHTS).is_ok());
    }

    #[test]
    fn sub_scores_follow_their_piecewise_linear_rules() {
        assert_eq!(reply_latency_score(None), 100.0);
        assert_eq!(reply_latency_score(Some(0.5)), 100.0);
        assert_eq!(reply_latency_score(Some(24.5)), 50.0);
        assert_eq!(reply_latency_score(Some(48.0)), 0.0);
        assert_eq!(unresolved_score(0), 100.0);
        assert_eq!(unresolved_score(2), 60.0);
        assert_eq!(unresolved_score(7), 0.0);
        assert_eq!(recent_signals_score(1), 66.0);
        assert_eq!(recent_signals_score(3), 0.0);
        assert_eq!(activity_recency_score(None), 0.0);
        assert_eq!(activity_recency_score(Some(3.0)), 100.0);
        assert_eq!(activity_recency_score(Some(31.5)), 50.0);
        assert_eq!(activity_recency_score(Some(90.0)), 0.0);
    }

    #[test]
    fn bands_and_trends_use_their_thresholds() {
        assert_eq!(band_of(70.0), Band::Healthy);
        assert_eq!(band_of(69.99), Band::AtRisk);
        assert_eq!(band_of(40.0), Band::AtRisk);
        assert_eq!(band_of(39.99), Band::Critical);
        assert_eq!(trend_of(50.0, None), Trend::New);
        assert_eq!(trend_of(51.9, Some(50.0)), Trend::Flat);
        assert_eq!(trend_of(52.0, Some(50.0)), Trend::Up);
        assert_eq!(trend_of(48.0, Some(50.0)), Trend::Down);
    }

    #[test]
    fn measures_are_described_in_plain_words() {
        let m = |measure, value, score| MeasureScore {
            measure,
            value,
            score,
            weight: 20,
        };
        assert_eq!(
            m(Measure::UnresolvedConversations, Some(3.0), 40.0).summary(),
            "3 unresolved conversations"
        );
        assert_eq!(
            m(Measure::RecentSignals, Some(1.0), 66.0).summary(),
            "1 risk signal in the last 30 days"
        );
        assert_eq!(
            m(Measure::OpportunityState, Some(0.0), 20.0).summary(),
            "only lost opportunities"
        );
    }
}
