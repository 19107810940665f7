//! Reading and triaging signals: listings with keyset paging, status changes, attaching a contact's signals to its account.
use super::*;
use crate::kernel::page::{decode_cursor, encode_cursor, micros, parse_micros};

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct SignalFilter {
    /// Types (any of).
    pub types: Vec<SignalType>,
    /// Statuses (any of).
    pub statuses: Vec<SignalStatus>,
    /// Account.
    pub account_id: Option<Uuid>,
    /// `cw:` conversation.
    pub conversation_global_id: Option<String>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
}

/// Position in the signals feed (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalCursor {
    /// occurred_at of the last row seen.
    pub at: DateTime<Utc>,
    /// Its id.
    pub id: Uuid,
}

impl SignalCursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        encode_cursor(&["s", &self.id.to_string(), &micros(Some(self.at))])
    }

    /// Reads a string made by [`SignalCursor::encode`].
    pub fn decode(cursor: &str) -> Option<Self> {
        let [kind, id, at] = decode_cursor::<3>(cursor)?;
        (kind == "s").then_some(())?;
        Some(Self {
            at: parse_micros(&at)??,
            id: Uuid::parse_str(&id).ok()?,
        })
    }
}

impl Signal {
    /// Its position in the feed.
    pub fn cursor(&self) -> SignalCursor {
        SignalCursor {
            at: self.occurred_at,
            id: self.id,
        }
    }
}

/// Signals matching `filter`, newest first.
pub async fn list_signals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &SignalFilter,
    first: u64,
    after: Option<SignalCursor>,
) -> DomainResult<Page<Signal>> {
    let mut sql = Sql::scoped(scope, "s");
    if !filter.types.is_empty() {
        let types: Vec<&str> = filter.types.iter().map(|t| type_str(*t)).collect();
        let p = sql.param(DbValue::from(json!(types)));
        sql.and(format!(
            "s.signal_type = any(array(select jsonb_array_elements_text({p}::jsonb)))"
        ));
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter.statuses.iter().map(|s| status_str(*s)).collect();
        let p = sql.param(DbValue::from(json!(statuses)));
        sql.and(format!(
            "s.status = any(array(select jsonb_array_elements_text({p}::jsonb)))"
        ));
    }
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("s.account_id = {p}"));
    }
    if let Some(conversation) = &filter.conversation_global_id {
        let p = sql.param(conversation.clone());
        sql.and(format!("s.conversation_global_id = {p}"));
    }
    if let Some(from) = filter.from {
        let p = sql.param(from);
        sql.and(format!("s.occurred_at >= {p}"));
    }
    if let Some(to) = filter.to {
        let p = sql.param(to);
        sql.and(format!("s.occurred_at < {p}"));
    }
    let total_count = count_rows(db, "signals s", &sql).await?;
    if let Some(after) = after {
        let t = sql.param(after.at);
        let i = sql.param(after.id);
        sql.and(format!("(s.occurred_at, s.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = signals::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select s.* from signals s where {} \
                 order by s.occurred_at desc, s.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// One signal of the scope.
pub async fn get_signal<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Signal> {
    signals::Entity::find_by_id(id)
        .filter(scope.filter_for::<signals::Entity>())
        .one(db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("signal"))
}

/// Triage: sets a signal's status (any status may follow any other: a dismissed signal can be
/// reopened), recording `crm.signal.<status>` with the message as evidence.
pub async fn set_status(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    status: SignalStatus,
) -> DomainResult<Signal> {
    let txn = db.begin().await?;
    let current = signals::Entity::find_by_id(id)
        .filter(scope.filter_for::<signals::Entity>())
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("signal"))?;
    if current.status == status {
        txn.commit().await?;
        return Ok(current.into());
    }
    let from = status_str(current.status);
    let mut evidence = vec![EvidenceRef::new("signal", id)];
    if let Some(message) = &current.message_global_id {
        evidence.push(EvidenceRef::new("message", message));
    }
    let mut active = current.into_active_model();
    active.status = Set(status);
    let updated = active.update(&txn).await?;
    let action = match status {
        SignalStatus::Open => "crm.signal.reopened",
        SignalStatus::Acknowledged => "crm.signal.acknowledged",
        SignalStatus::Resolved => "crm.signal.resolved",
        SignalStatus::Dismissed => "crm.signal.dismissed",
    };
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("signal"),
            target_id: Some(id.to_string()),
            evidence,
            meta: json!({ "from": from, "to": status_str(status) }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(updated.into())
}

/// Signals with no account yet whose contact is now confirmed on `account_id` join it (called
/// when a link is confirmed). Returns how many moved.
pub async fn attach_contact_signals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    contact_global_id: &str,
) -> DomainResult<u64> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "update signals set account_id = $3 \
             where project_id = $1 and account_scope_id = $2 and contact_global_id = $4 \
               and account_id is null",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                account_id.into(),
                contact_global_id.into(),
            ],
        ))
        .await?;
    Ok(result.rows_affected())
}
