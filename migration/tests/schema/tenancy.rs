//! Tenancy in the database: the scope trigger, cross-project references, and the append-only audit trail.
use super::*;

// ---------------------------------------------------------------------------------------------
// Tenancy
// ---------------------------------------------------------------------------------------------

#[tokio::test]
pub(super) async fn the_scope_trigger_rejects_cross_scope_inserts() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;

    for ((table, wrong_scope), (_, right_scope)) in scoped_inserts(t.project_a, t.scope_b)
        .into_iter()
        .zip(scoped_inserts(t.project_a, t.scope_a))
    {
        // Act
        let err = exec_err(&test_db.db, &wrong_scope).await;
        exec(&test_db.db, &right_scope).await;

        // Assert
        assert_eq!(err.code, "23514", "{table}: {err:?}");
        assert_eq!(
            err.constraint.as_deref(),
            Some("project_scope_match"),
            "{table}"
        );
        assert!(
            err.message
                .starts_with(&format!("project scope mismatch on {table}")),
            "{table}: {}",
            err.message
        );
        let count: i64 = scalar(
            &test_db.db,
            &format!(
                "select count(*) from {table} where project_id = '{}'",
                t.project_a
            ),
        )
        .await;
        assert_eq!(count, 1, "{table}: only the right-scope row was written");
    }
}

#[tokio::test]
pub(super) async fn the_scope_trigger_rejects_moving_a_row_to_another_scope_or_an_unknown_project()
{
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            "insert into crm_accounts (project_id, account_scope_id, name) values ('{}', '{}', 'Acme')",
            t.project_a, t.scope_a
        ),
    )
    .await;

    // Act
    let moved = exec_err(
        &test_db.db,
        &format!("update crm_accounts set account_scope_id = '{}'", t.scope_b),
    )
    .await;
    let rehomed = exec_err(
        &test_db.db,
        &format!("update crm_accounts set project_id = '{}'", t.project_b),
    )
    .await;
    let unknown = exec_err(
        &test_db.db,
        &format!(
            "insert into job_runs (project_id, account_scope_id, job_name, status) values ('{}', '{}', 'x', 'running')",
            Uuid::new_v4(),
            t.scope_a
        ),
    )
    .await;
    let project_scope_change = exec_err(
        &test_db.db,
        &format!(
            "update projects set account_scope_id = '{}' where id = '{}'",
            t.scope_b, t.project_a
        ),
    )
    .await;

    // Assert
    for err in [&moved, &rehomed, &unknown, &project_scope_change] {
        assert_eq!(err.code, "23514", "{err:?}");
        assert_eq!(err.constraint.as_deref(), Some("project_scope_match"));
        assert!(err.message.starts_with("project scope mismatch"), "{err:?}");
    }
}

#[tokio::test]
pub(super) async fn every_scoped_table_carries_the_scope_trigger() {
    // Arrange
    let test_db = TestDb::migrated().await;

    // Act
    let unguarded = strings(
        &test_db.db,
        "select c.relname::text
         from pg_class c
         where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname <> 'projects'
           and exists (select 1 from pg_attribute p where p.attrelid = c.oid and p.attname = 'project_id')
           and (
             not exists (
               select 1 from pg_attribute s where s.attrelid = c.oid and s.attname = 'account_scope_id')
             or not exists (
               select 1 from pg_trigger tg join pg_proc f on f.oid = tg.tgfoid
               where tg.tgrelid = c.oid and f.proname = 'enforce_project_scope_match'
                 and (tg.tgtype & 2) <> 0   -- BEFORE
                 and (tg.tgtype & 4) <> 0   -- INSERT
                 and (tg.tgtype & 16) <> 0) -- UPDATE
           )
         order by 1",
    )
    .await;
    let scoped: i64 = scalar(
        &test_db.db,
        "select count(*) from pg_class c join pg_attribute p on p.attrelid = c.oid and p.attname = 'project_id'
         where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and c.relname <> 'projects'",
    )
    .await;

    // Assert
    assert!(
        unguarded.is_empty(),
        "scoped tables without account_scope_id or the scope trigger: {unguarded:?}"
    );
    assert!(
        scoped >= 39,
        "expected every project table to be scoped, found {scoped}"
    );
}

#[tokio::test]
pub(super) async fn references_between_scoped_tables_cannot_cross_projects() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    let account_b = Uuid::new_v4();
    exec(
        &test_db.db,
        &format!(
            "insert into crm_accounts (id, project_id, account_scope_id, name) values ('{account_b}', '{}', '{}', 'B corp')",
            t.project_b, t.scope_b
        ),
    )
    .await;

    // Act
    let opportunity = exec_err(
        &test_db.db,
        &format!(
            "with stage as (
               insert into crm_pipeline_stages (project_id, account_scope_id, key, name, position)
               values ('{pa}', '{sa}', 'new', 'New', 0) returning id)
             insert into crm_opportunities (project_id, account_scope_id, account_id, name, currency, stage_id)
             select '{pa}', '{sa}', '{account_b}', 'Deal', 'USD', id from stage",
            pa = t.project_a,
            sa = t.scope_a
        ),
    )
    .await;
    let foreign_contact = exec_err(
        &test_db.db,
        &format!(
            "insert into outbound_messages (project_id, account_scope_id, channel, contact_global_id, content)
             values ('{}', '{}', 'whatsapp', 'cwc:{}:1:1', 'hi')",
            t.project_a, t.scope_a, t.project_b
        ),
    )
    .await;

    // Assert
    assert_eq!(opportunity.code, "23503", "{opportunity:?}");
    assert_eq!(
        opportunity.constraint.as_deref(),
        Some("crm_opportunities_account_fkey")
    );
    assert_eq!(foreign_contact.code, "23514", "{foreign_contact:?}");
    assert_eq!(
        foreign_contact.constraint.as_deref(),
        Some("outbound_messages_contact_global_id_in_project")
    );
}

// ---------------------------------------------------------------------------------------------
// Audit trail
// ---------------------------------------------------------------------------------------------

#[tokio::test]
pub(super) async fn audit_events_cannot_be_updated_or_deleted() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let t = two_tenants(&test_db.db).await;
    exec(
        &test_db.db,
        &format!(
            r#"insert into audit_events (project_id, account_scope_id, actor, action, evidence_refs)
               values ('{}', '{}', 'user:alice', 'project.create', '[{{"kind": "project", "id": "p"}}]')"#,
            t.project_a, t.scope_a
        ),
    )
    .await;

    // Act
    let update = exec_err(
        &test_db.db,
        "update audit_events set action = 'project.delete'",
    )
    .await;
    let delete = exec_err(&test_db.db, "delete from audit_events").await;
    let truncate = exec_err(&test_db.db, "truncate audit_events").await;
    let project_delete = exec_err(
        &test_db.db,
        &format!("delete from projects where id = '{}'", t.project_a),
    )
    .await;

    // Assert
    for err in [&update, &delete, &truncate, &project_delete] {
        assert_eq!(err.code, "23001", "{err:?}");
        assert_eq!(err.constraint.as_deref(), Some("audit_events_append_only"));
        assert!(
            err.message.starts_with("audit_events is append-only"),
            "{err:?}"
        );
    }
    let action: String = scalar(&test_db.db, "select action from audit_events").await;
    assert_eq!(action, "project.create");
}

#[tokio::test]
pub(super) async fn audit_events_require_evidence() {
    // Arrange
    let test_db = TestDb::migrated().await;
    let insert = |refs: &str| {
        format!(
            "insert into audit_events (actor, action, evidence_refs) values ('system:test', 'auth.login', {refs})"
        )
    };

    // Act
    let empty = exec_err(&test_db.db, &insert("'[]'")).await;
    let object = exec_err(&test_db.db, &insert(r#"'{"kind": "session"}'"#)).await;
    let missing = exec_err(&test_db.db, &insert("null")).await;
    exec(
        &test_db.db,
        &insert(r#"'[{"kind": "session", "id": "s1"}]'"#),
    )
    .await;

    // Assert
    for err in [&empty, &object] {
        assert_eq!(err.code, "23514", "{err:?}");
        assert_eq!(
            err.constraint.as_deref(),
            Some("audit_events_evidence_required")
        );
    }
    assert_eq!(missing.code, "23502", "{missing:?}");
    let count: i64 = scalar(&test_db.db, "select count(*) from audit_events").await;
    assert_eq!(count, 1);
}
