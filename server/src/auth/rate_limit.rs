//! Attempt counters in `rate_limits`, shared by every replica. An attempt is *reserved* before
//! the work it guards (a password hash, a name lookup) in one atomic statement, so requests
//! sent at once cannot all slip past the check. Past a key's free attempts each further one
//! must wait twice as long as the last (a progressive delay), never a fixed lock-out anyone
//! could trigger for someone else.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// A limit: `free` attempts per window, then a delay of `base_delay_secs`, doubling per
/// attempt up to `max_delay_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Attempts allowed per window without waiting.
    pub free: i32,
    /// Window length; a quiet window starts the count again.
    pub window_secs: i64,
    /// The first delay once the free attempts are used.
    pub base_delay_secs: i64,
    /// The longest delay.
    pub max_delay_secs: i64,
}

/// Whether an attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Reserved: go ahead (it is already counted).
    Go,
    /// Not yet: retry after this many seconds.
    Wait(i64),
}

/// Reserves one attempt against `key`, or says how long to wait. Counting and checking are one
/// statement under the row's lock, so concurrent attempts queue on it and see each other.
pub async fn reserve<C: ConnectionTrait>(
    db: &C,
    key: &str,
    limit: Limit,
) -> Result<Admission, DbErr> {
    let expired = "rate_limits.window_started_at < now() - make_interval(secs => $2)";
    let hits = format!("(case when {expired} then 0 else rate_limits.hits end) + 1");
    let delay = |n: &str| {
        format!(
            "case when {n} >= $3 then now() + make_interval(secs => \
             least($5::float8, $4::float8 * power(2, least({n} - $3, 30)))) end"
        )
    };
    let sql = format!(
        "insert into rate_limits (key, window_started_at, hits, blocked_until) \
         values ($1, now(), 1, {first}) \
         on conflict (key) do update set \
           window_started_at = case when {expired} then now() \
                               else rate_limits.window_started_at end, \
           hits = {hits}, \
           blocked_until = {next} \
         where rate_limits.blocked_until is null or rate_limits.blocked_until <= now() \
         returning hits",
        first = delay("1"),
        next = delay(&hits),
    );
    let reserved = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            [
                key.into(),
                (limit.window_secs as f64).into(),
                limit.free.into(),
                (limit.base_delay_secs as f64).into(),
                (limit.max_delay_secs as f64).into(),
            ],
        ))
        .await?;
    if reserved.is_some() {
        return Ok(Admission::Go);
    }
    Ok(Admission::Wait(blocked_for(db, key).await?.unwrap_or(1)))
}

/// Seconds until `key` may try again, or `None` when it may now.
pub async fn blocked_for<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<i64>, DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select blocked_until from rate_limits where key = $1 and blocked_until > now()",
            [key.into()],
        ))
        .await?;
    Ok(match row {
        Some(row) => {
            let until: DateTime<Utc> = row.try_get("", "blocked_until")?;
            Some((until - Utc::now()).num_seconds().max(1))
        }
        None => None,
    })
}

/// Gives back one reserved attempt (it succeeded, so it should not count against the key).
pub async fn refund<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "update rate_limits set hits = greatest(hits - 1, 0) where key = $1",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Forgets `key`'s attempts (after a success).
pub async fn reset<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "delete from rate_limits where key = $1",
        [key.into()],
    ))
    .await?;
    Ok(())
}
