//! The documented sub-scores: each measure's piecewise-linear score, bands and trends.
use super::*;

/// Reply latency at or below this many hours scores 100.
pub(super) const REPLY_BEST_HOURS: f64 = 1.0;
/// Reply latency at or above this many hours scores 0.
pub(super) const REPLY_WORST_HOURS: f64 = 48.0;
/// Points one unresolved conversation costs.
pub(super) const UNRESOLVED_COST: f64 = 20.0;
/// Points one risk signal costs.
pub(super) const SIGNAL_COST: f64 = 34.0;
/// Activity this many days ago or less scores 100.
pub(super) const RECENCY_BEST_DAYS: f64 = 3.0;
/// Activity this many days ago or more scores 0.
pub(super) const RECENCY_WORST_DAYS: f64 = 60.0;

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
pub(super) fn linear(x: f64, best: f64, worst: f64) -> f64 {
    if x <= best {
        100.0
    } else if x >= worst {
        0.0
    } else {
        100.0 * (worst - x) / (worst - best)
    }
}

pub(super) fn round2(x: f64) -> f64 {
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
