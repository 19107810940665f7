//! Hand-written SQL for listings whose filters and keysets read better as SQL: a scoped WHERE
//! builder, counting, LIKE escaping and constraint-name matching.
use sea_orm::{ConnectionTrait, DbErr, SqlErr};

use crate::kernel::{Scope, error::DomainResult};

/// Whether `e` broke the unique constraint or index named `name`.
pub(crate) fn violates_unique(e: &DbErr, name: &str) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(m)) if m.contains(name))
}

/// Whether `e` broke a foreign key named `name`.
pub(crate) fn violates_foreign_key(e: &DbErr, name: &str) -> bool {
    matches!(e.sql_err(), Some(SqlErr::ForeignKeyConstraintViolation(m)) if m.contains(name))
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
