//! Reading accounts: one, several by id, listings with keyset paging.
use super::*;

/// One account of the scope (merged ones too: they point at their survivor).
pub async fn get_account<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Account> {
    Ok(find(db, scope, id, false).await?.into())
}

/// The accounts of the scope among `ids` (merged ones too; ids of other projects are left
/// out), in one query: what listings resolve their rows' accounts through.
pub async fn accounts_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[Uuid],
) -> DomainResult<Vec<Account>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = scope
        .rows::<crm_accounts::Entity>()
        .filter(crm_accounts::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Accounts matching `filter` in `order`, `first` at a time after `after`.
pub async fn list_accounts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &AccountFilter,
    order: AccountOrder,
    first: u64,
    after: Option<&AccountCursor>,
) -> DomainResult<Page<Account>> {
    let mut sql = Sql::scoped(scope, "a");
    match filter.status {
        Some(status) => {
            let p = sql.param(status_str(status));
            sql.and(format!("a.status = {p}"));
        }
        None => sql.and("a.status <> 'merged'".to_owned()),
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let p = sql.param(like_pattern(text));
        sql.and(format!("(a.name ilike {p} or a.domain ilike {p})"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("a.owner_user_id = {p}"));
    }
    let total_count = count_rows(db, "crm_accounts a", &sql).await?;
    match (order, after) {
        (_, None) => {}
        (AccountOrder::Name, Some(AccountCursor::Name { name, id })) => {
            let n = sql.param(name.clone());
            let i = sql.param(*id);
            // lower() on both sides: Rust's lowercasing may differ from the database's.
            sql.and(format!("(lower(a.name), a.id) > (lower({n}), {i})"));
        }
        (AccountOrder::UpdatedAt, Some(AccountCursor::UpdatedAt { at, id })) => {
            let t = sql.param(*at);
            let i = sql.param(*id);
            sql.and(format!("(a.updated_at, a.id) < ({t}, {i})"));
        }
        _ => {
            return Err(DomainError::Validation(vec![FieldError::new(
                "after",
                "is not a cursor of this ordering",
            )]));
        }
    }
    let order_by = match order {
        AccountOrder::Name => "lower(a.name) asc, a.id asc",
        AccountOrder::UpdatedAt => "a.updated_at desc, a.id desc",
    };
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = crm_accounts::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select a.* from crm_accounts a where {} order by {order_by} limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

pub(super) fn status_str(status: CrmAccountStatus) -> &'static str {
    match status {
        CrmAccountStatus::Active => "active",
        CrmAccountStatus::Archived => "archived",
        CrmAccountStatus::Merged => "merged",
    }
}

/// How strongly a link status binds a contact: a person's confirmation beats a person's
/// rejection, which beats the system's suggestion.
pub(super) fn link_rank(status: AccountContactLinkStatus) -> u8 {
    match status {
        AccountContactLinkStatus::Confirmed => 2,
        AccountContactLinkStatus::Rejected => 1,
        AccountContactLinkStatus::Suggested => 0,
    }
}
