//! The demo workspace that a fresh local checkout starts with. Demo data only: loaded by
//! `server seed-demo` or `REVINTEL_DEMO_SEED=true`, never by production paths.
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{auth::password::PasswordHasher, kernel::error::DomainResult};

/// Scope key of the demo account scope.
pub const DEMO_SCOPE_KEY: &str = "demo";
/// Name of the demo project.
pub const DEMO_PROJECT_NAME: &str = "Demo workspace";
/// The demo login (shown in the README; local demo only).
pub const DEMO_USERNAME: &str = "demo";
/// The demo password (local demo only).
pub const DEMO_PASSWORD: &str = "demo-password";
/// A second demo member, so four-eyes approvals (offers, campaigns) can be tried locally.
pub const DEMO_APPROVER_USERNAME: &str = "approver";
/// Its password (local demo only).
pub const DEMO_APPROVER_PASSWORD: &str = "approver-password";

/// Creates the demo account scope, project and users (an admin who owns the project and a
/// member who can approve what the owner writes) unless they exist. Safe to run on every start.
pub async fn seed(db: &DatabaseConnection, hasher: &PasswordHasher) -> DomainResult<()> {
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
    for (username, password, admin, role) in [
        (DEMO_USERNAME, DEMO_PASSWORD, true, "owner"),
        (
            DEMO_APPROVER_USERNAME,
            DEMO_APPROVER_PASSWORD,
            false,
            "member",
        ),
    ] {
        let exists = db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "select 1 as one from app_users where username = $1",
                [username.into()],
            ))
            .await?
            .is_some();
        if !exists {
            crate::domain::identity::create_user(db, hasher, username, password, admin).await?;
        }
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            r#"
            insert into project_members (project_id, user_id, account_scope_id, role)
            select p.id, u.id, p.account_scope_id, $3
            from projects p
            join account_scopes s on s.id = p.account_scope_id and s.scope_key = $1
            join app_users u on u.username = $2
            on conflict (project_id, user_id) do nothing
            "#,
            [DEMO_SCOPE_KEY.into(), username.into(), role.into()],
        ))
        .await?;
    }
    Ok(())
}
