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
mod compute;
mod scoring;
mod weights;

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

pub use self::{compute::*, scoring::*, weights::*};
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

/// The account's scores, newest first, at most `first` (capped at [`MAX_HISTORY`]). An account
/// outside the scope is `NotFound`.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    first: u64,
) -> DomainResult<Vec<HealthScore>> {
    accounts::find(db, scope, account_id, false).await?;
    Ok(scope
        .rows::<health_scores::Entity>()
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
    Ok(scope
        .rows::<health_scores::Entity>()
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
