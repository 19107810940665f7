//! CRM on conversation evidence (issue 6): accounts, their contacts (suggested from Chatwoot,
//! confirmed by people), the per-project pipeline, opportunities with stage history, the
//! pipeline board, signals read from customers' messages, next-best-actions, health scores and
//! the risk radar. Every query is filtered by the scope's project and account scope; every
//! write validates its whole input first and writes nothing when any of it is bad.
pub mod accounts;
pub mod contacts;
pub mod demo;
pub mod health;
pub mod nba;
pub mod opportunities;
pub mod pipeline;
pub mod radar;
pub mod signals;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, SqlErr,
};
use uuid::Uuid;

pub use crate::domain::ingest::query::Page;
use crate::{
    auth::{Scope, UserRef},
    domain::{
        audit::EvidenceRef,
        error::{DomainResult, FieldError},
    },
};

/// Who performs a CRM write: the audit actor and, for a person, the user stored in the
/// `*_by` columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `user:<id>`, `token:<id>` or `system:<component>`.
    pub audit: String,
    /// The person behind it; `None` for the system.
    pub user_id: Option<Uuid>,
}

impl Actor {
    /// A signed-in user acting in the app.
    pub fn user(user: &UserRef) -> Self {
        Self {
            audit: user.actor(),
            user_id: Some(user.id),
        }
    }

    /// A user acting through another channel (`audit` is e.g. `token:<id>`).
    pub fn new(audit: impl Into<String>, user_id: Option<Uuid>) -> Self {
        Self {
            audit: audit.into(),
            user_id,
        }
    }

    /// A background component.
    pub fn system(component: &str) -> Self {
        Self {
            audit: format!("system:{component}"),
            user_id: None,
        }
    }
}

/// Longest account, opportunity or stage name.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free-text note (stage change notes, lost reasons).
pub const MAX_NOTE_CHARS: usize = 2000;
/// Most evidence references on one stage change.
pub const MAX_EVIDENCE_REFS: usize = 50;

/// A required name: trimmed, 1..=`max` characters.
pub(crate) fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(FieldError::new(field, format!("use 1-{max} characters")));
    }
    Ok(text.to_owned())
}

/// An optional text: trimmed, blank means none, at most `max` characters.
pub(crate) fn optional_text(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("use at most {max} characters"),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// Collects the first error of each check so one response names every bad field.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    errors: Vec<FieldError>,
}

impl Checks {
    /// Keeps the value of a passed check, remembers the error of a failed one.
    pub(crate) fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    /// Records a failure.
    pub(crate) fn fail(&mut self, field: &str, message: &str) {
        self.errors.push(FieldError::new(field, message));
    }

    /// `Err(Validation)` when any check failed.
    pub(crate) fn finish(self) -> DomainResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::domain::DomainError::Validation(self.errors))
        }
    }
}

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
    let kind = crate::workers::jobs::REFRESH_JOB;
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
    let job =
        crate::workers::queue::NewJob::new(kind, serde_json::json!({ "account_ids": accounts }));
    crate::workers::queue::enqueue(db, scope, job).await?;
    Ok(())
}

/// Whether `owner` may own CRM rows of the project: only its members may.
pub(crate) async fn is_member<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user_id: Uuid,
) -> DomainResult<bool> {
    use entity::project_members;
    let n = project_members::Entity::find()
        .filter(project_members::Column::ProjectId.eq(scope.project_id()))
        .filter(project_members::Column::AccountScopeId.eq(scope.account_scope_id()))
        .filter(project_members::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Whether `e` broke the unique constraint or index named `name`.
pub(crate) fn violates_unique(e: &DbErr, name: &str) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(m)) if m.contains(name))
}

/// Whether `e` broke a foreign key named `name`.
pub(crate) fn violates_foreign_key(e: &DbErr, name: &str) -> bool {
    matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(m)) if m.contains(name))
}

/// Whether `id` is a Chatwoot global id of `kind` (`cwc`, `cw`, `cwmsg`) in the scope's
/// project: `<kind>:<project_id>:<account>:<number>`.
pub(crate) fn is_global_id_of(project_id: Uuid, kind: &str, id: &str) -> bool {
    let prefix = format!("{kind}:{project_id}:");
    let Some(rest) = id.strip_prefix(&prefix) else {
        return false;
    };
    let mut parts = rest.split(':');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

/// Checks evidence attached by a caller: bounded, non-empty ids, and Chatwoot evidence only
/// from the scope's own project.
pub(crate) fn check_evidence(
    field: &str,
    scope: &Scope,
    refs: &[EvidenceRef],
) -> Result<(), FieldError> {
    if refs.len() > MAX_EVIDENCE_REFS {
        return Err(FieldError::new(
            field,
            format!("attach at most {MAX_EVIDENCE_REFS} references"),
        ));
    }
    for r in refs {
        let id = r.id.trim();
        if id.is_empty() || id.chars().count() > 300 || r.kind.is_empty() {
            return Err(FieldError::new(
                field,
                "every reference needs a kind and an id",
            ));
        }
        let chatwoot_kind = match r.kind {
            "contact" => Some("cwc"),
            "conversation" => Some("cw"),
            "message" => Some("cwmsg"),
            _ => None,
        };
        if let Some(kind) = chatwoot_kind
            && !is_global_id_of(scope.project_id(), kind, id)
        {
            return Err(FieldError::new(
                field,
                format!("{} is not a {} of this project", r.id, r.kind),
            ));
        }
    }
    Ok(())
}

/// Evidence as stored in `evidence_refs` columns (the shape audit events use).
pub(crate) fn evidence_json(refs: &[EvidenceRef]) -> serde_json::Value {
    serde_json::Value::Array(
        refs.iter()
            .map(|r| serde_json::json!({ "kind": r.kind, "id": r.id }))
            .collect(),
    )
}

/// A WHERE clause with numbered parameters, for listings whose filters and keysets are easier
/// to read as SQL. `$1`/`$2` are always the scope's project and account scope.
pub(crate) struct Sql {
    conditions: Vec<String>,
    pub(crate) values: Vec<sea_orm::Value>,
}

impl Sql {
    /// Starts with the scope filter on `alias` (a table name or alias).
    pub(crate) fn scoped(scope: &Scope, alias: &str) -> Self {
        Self {
            conditions: vec![
                format!("{alias}.project_id = $1"),
                format!("{alias}.account_scope_id = $2"),
            ],
            values: vec![scope.project_id().into(), scope.account_scope_id().into()],
        }
    }

    /// Adds a value and returns its placeholder.
    pub(crate) fn param(&mut self, value: impl Into<sea_orm::Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Adds a condition (ANDed).
    pub(crate) fn and(&mut self, condition: String) {
        self.conditions.push(condition);
    }

    /// The conditions joined by AND.
    pub(crate) fn where_clause(&self) -> String {
        self.conditions.join(" and ")
    }
}

/// Runs `select count(*)` over `from` with `sql`'s conditions.
pub(crate) async fn count_rows<C: ConnectionTrait>(
    db: &C,
    from: &str,
    sql: &Sql,
) -> DomainResult<u64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select count(*) as n from {from} where {}",
                sql.where_clause()
            ),
            sql.values.clone(),
        ))
        .await?;
    let n = match row {
        Some(row) => row.try_get::<i64>("", "n")?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// `%text%` for ILIKE, with the wildcards in `text` taken literally.
pub(crate) fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_must_name_the_scope_project() {
        let project = Uuid::new_v4();
        assert!(is_global_id_of(
            project,
            "cw",
            &format!("cw:{project}:7:12")
        ));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cwc:{project}:7:12")
        ));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cw:{}:7:12", Uuid::new_v4())
        ));
        assert!(!is_global_id_of(project, "cw", &format!("cw:{project}:7")));
        assert!(!is_global_id_of(
            project,
            "cw",
            &format!("cw:{project}:7:x")
        ));
    }

    #[test]
    fn optional_text_treats_blank_as_none() {
        assert_eq!(optional_text("f", Some("  "), 5), Ok(None));
        assert_eq!(
            optional_text("f", Some(" ab "), 5),
            Ok(Some("ab".to_owned()))
        );
        assert!(optional_text("f", Some("abcdef"), 5).is_err());
    }
}
