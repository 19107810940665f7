//! What customers' messages say about accounts: signals detected in them ([`detection`]), the
//! next-best-actions they raise ([`actions`]), account health ([`health`]) and the risk radar
//! ([`radar`]). A refresh job recomputes health, radar and actions after their inputs change.
pub mod actions;
pub mod detection;
pub mod health;
pub mod radar;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::kernel::{DomainResult, Scope, jobs};

/// The job that refreshes health, radar and next-best-actions (`{ "account_ids": [..] }`, or
/// no ids for every account).
pub const REFRESH_JOB: &str = "crm_refresh";

/// Enqueues a refresh of `accounts`' health, the radar and next-best-actions (in the caller's
/// transaction), after a change to their inputs.
///
/// Refreshes coalesce: each one also re-syncs the whole project's radar and actions, so a
/// burst of changes (the demo seed confirms 67 contacts) should cost one run, not one each.
/// Accounts join a refresh that is still queued; a queued full refresh already covers them.
/// A running refresh may have passed them already, so it is never joined.
pub async fn enqueue_refresh<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    accounts: &[Uuid],
) -> DomainResult<()> {
    use sea_orm::{Statement, Value as DbValue};

    if accounts.is_empty() {
        return Ok(());
    }
    let kind = REFRESH_JOB;
    let backend = db.get_database_backend();
    let covered = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "select 1 as covered from scheduled_jobs \
             where project_id = $1 and kind = $2 and status = 'queued' \
               and jsonb_typeof(payload -> 'account_ids') is distinct from 'array' \
             limit 1",
            [scope.project_id().into(), kind.into()],
        ))
        .await?;
    if covered.is_some() {
        return Ok(());
    }
    // SKIP LOCKED: a job a worker is claiming right now is left to it (a new one is queued),
    // and a worker skips the job while this transaction holds it, then runs the merged list.
    let joined = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "with target as ( \
               select id from scheduled_jobs \
               where project_id = $1 and kind = $2 and status = 'queued' \
                 and jsonb_typeof(payload -> 'account_ids') = 'array' \
               order by id limit 1 \
               for update skip locked) \
             update scheduled_jobs j \
                set payload = jsonb_set(j.payload, '{account_ids}', ( \
                  select jsonb_agg(id) from ( \
                    select jsonb_array_elements(j.payload -> 'account_ids') as id \
                    union select jsonb_array_elements($3::jsonb)) ids)) \
             from target where j.id = target.id \
             returning j.id",
            [
                scope.project_id().into(),
                kind.into(),
                DbValue::from(serde_json::json!(accounts)),
            ],
        ))
        .await?;
    if joined.is_some() {
        return Ok(());
    }
    let job = jobs::NewJob::new(kind, serde_json::json!({ "account_ids": accounts }));
    jobs::enqueue(db, scope, job).await?;
    Ok(())
}
