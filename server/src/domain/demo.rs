//! The demo workspace that a fresh local checkout starts with. Demo data only: loaded by
//! `server seed-demo` or `REVINTEL_DEMO_SEED=true`, never by production paths.
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// Scope key of the demo account scope.
pub const DEMO_SCOPE_KEY: &str = "demo";
/// Name of the demo project.
pub const DEMO_PROJECT_NAME: &str = "Demo workspace";

/// Creates the demo account scope and project unless they exist. Safe to run on every start.
pub async fn seed<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        r#"
        with scope as (
            insert into account_scopes (id, scope_key, name)
            values (gen_random_uuid(), $1, 'Demo account scope')
            on conflict (scope_key) do update set name = excluded.name
            returning id
        )
        insert into projects (name, account_scope_id)
        select $2, scope.id from scope
        where not exists (select 1 from projects p where p.account_scope_id = scope.id)
        "#,
        [DEMO_SCOPE_KEY.into(), DEMO_PROJECT_NAME.into()],
    ))
    .await?;
    Ok(())
}
