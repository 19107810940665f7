//! A campaign's report: how many members are in each state, and its events over time in hour
//! or day buckets (UTC) for a chart.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use crate::domain::campaigns::find;
use crate::{kernel::Scope, kernel::error::DomainResult};

/// Width of a series bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Bucket {
    /// One point per hour.
    #[default]
    Hour,
    /// One point per day.
    Day,
}

impl Bucket {
    fn unit(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
        }
    }
}

/// Members per latest state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberCounts {
    /// Every member.
    pub total: u64,
    /// Not handled yet.
    pub pending: u64,
    /// Message queued.
    pub queued: u64,
    /// Message sent.
    pub sent: u64,
    /// Message delivered.
    pub delivered: u64,
    /// The contact replied.
    pub replied: u64,
    /// Sending failed.
    pub failed: u64,
    /// The contact opted out.
    pub opted_out: u64,
    /// Skipped (cancelled before sending, or blocked).
    pub skipped: u64,
}

/// Events of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPoint {
    /// Start of the bucket (UTC).
    pub bucket: DateTime<Utc>,
    /// Messages queued.
    pub queued: u64,
    /// Messages sent.
    pub sent: u64,
    /// Messages delivered.
    pub delivered: u64,
    /// Replies.
    pub replied: u64,
    /// Failures.
    pub failed: u64,
    /// Opt-outs.
    pub opted_out: u64,
}

/// A campaign's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Members per state.
    pub counts: MemberCounts,
    /// Events per bucket, oldest first (buckets without events are left out).
    pub series: Vec<SeriesPoint>,
}

/// Most buckets a report returns (the newest ones).
pub const MAX_BUCKETS: i64 = 2_000;

/// The report of one campaign of the scope.
pub async fn campaign_report<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    campaign_id: Uuid,
    bucket: Bucket,
) -> DomainResult<Report> {
    find(db, scope, campaign_id, false).await?;
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select status, count(*) as n from campaign_members \
             where project_id = $1 and account_scope_id = $2 and campaign_id = $3 \
             group by status",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                campaign_id.into(),
            ],
        ))
        .await?;
    let mut counts = MemberCounts::default();
    for row in rows {
        let status: String = row.try_get("", "status")?;
        let n = row.try_get::<i64>("", "n")?.max(0) as u64;
        counts.total += n;
        match status.as_str() {
            "pending" => counts.pending += n,
            "queued" => counts.queued += n,
            "sent" => counts.sent += n,
            "delivered" => counts.delivered += n,
            "replied" => counts.replied += n,
            "failed" => counts.failed += n,
            "opted_out" => counts.opted_out += n,
            _ => counts.skipped += n,
        }
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "with buckets as ( \
               select date_trunc($4::text, occurred_at at time zone 'UTC') at time zone 'UTC' \
                        as bucket, event_type \
               from campaign_events \
               where project_id = $1 and account_scope_id = $2 and campaign_id = $3), \
             newest as (select distinct bucket from buckets order by bucket desc limit $5) \
             select b.bucket, b.event_type, count(*) as n from buckets b \
             where b.bucket in (select bucket from newest) \
             group by b.bucket, b.event_type order by b.bucket",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                campaign_id.into(),
                bucket.unit().into(),
                MAX_BUCKETS.into(),
            ],
        ))
        .await?;
    let mut series: BTreeMap<DateTime<Utc>, SeriesPoint> = BTreeMap::new();
    for row in rows {
        let at: DateTime<Utc> = row.try_get("", "bucket")?;
        let kind: String = row.try_get("", "event_type")?;
        let n = row.try_get::<i64>("", "n")?.max(0) as u64;
        let point = series.entry(at).or_insert(SeriesPoint {
            bucket: at,
            queued: 0,
            sent: 0,
            delivered: 0,
            replied: 0,
            failed: 0,
            opted_out: 0,
        });
        match kind.as_str() {
            "queued" => point.queued += n,
            "sent" => point.sent += n,
            "delivered" => point.delivered += n,
            "replied" => point.replied += n,
            "failed" => point.failed += n,
            _ => point.opted_out += n,
        }
    }
    Ok(Report {
        counts,
        series: series.into_values().collect(),
    })
}
