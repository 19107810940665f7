//! Fixed-window failure counters in `rate_limits`, shared by every replica. A key that reaches
//! its cap is blocked for a while; keys are per account and per client so one attacker can
//! neither lock out everyone nor try every account.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// A limit: `max` failures within `window_secs` block the key for `block_secs`.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Failures allowed per window.
    pub max: i32,
    /// Window length.
    pub window_secs: i64,
    /// How long a key stays blocked once over.
    pub block_secs: i64,
}

/// Seconds until `key` is unblocked, or `None` when it is free.
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

/// Counts one failure against `key`; blocks it when the window's count reaches the limit.
pub async fn record_failure<C: ConnectionTrait>(
    db: &C,
    key: &str,
    limit: Limit,
) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        r#"
        insert into rate_limits (key, window_started_at, hits) values ($1, now(), 1)
        on conflict (key) do update set
          window_started_at = case when rate_limits.window_started_at < now() - make_interval(secs => $2)
                                   then now() else rate_limits.window_started_at end,
          hits = case when rate_limits.window_started_at < now() - make_interval(secs => $2)
                      then 1 else rate_limits.hits + 1 end,
          blocked_until = case
            when (case when rate_limits.window_started_at < now() - make_interval(secs => $2)
                       then 1 else rate_limits.hits + 1 end) >= $3
            then now() + make_interval(secs => $4)
            else rate_limits.blocked_until end
        "#,
        [
            key.into(),
            (limit.window_secs as f64).into(),
            limit.max.into(),
            (limit.block_secs as f64).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Forgets `key`'s failures (after a success).
pub async fn reset<C: ConnectionTrait>(db: &C, key: &str) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "delete from rate_limits where key = $1",
        [key.into()],
    ))
    .await?;
    Ok(())
}
