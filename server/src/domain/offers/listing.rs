//! Reading offers: one offer, its items and approvals, listings and the approval inbox.
use super::*;

/// One offer of the scope with its lines and decisions.
pub async fn get_offer<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<OfferDetail> {
    let row = find(db, scope, id, false).await?;
    detail(db, scope, row).await
}

/// An offer's lines in position order.
pub async fn list_items<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferItem>> {
    find(db, scope, offer_id, false).await?;
    items_of(db, scope, offer_id).await
}

/// An offer's approval decisions, oldest first.
pub async fn list_approvals<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<Vec<OfferApproval>> {
    find(db, scope, offer_id, false).await?;
    approvals_of(db, scope, offer_id).await
}

/// The text [`send_offer`] would queue for this offer now.
pub async fn message_preview<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    offer_id: Uuid,
) -> DomainResult<String> {
    let row = find(db, scope, offer_id, false).await?;
    let items = items_of(db, scope, offer_id).await?;
    Ok(render::message_text(&row.into(), &items))
}

/// Offers matching `filter`, newest first, `first` at a time after the keyset `after` (from
/// [`Offer::cursor`]).
pub async fn list_offers<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &OfferFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<Offer>> {
    let mut sql = Sql::scoped(scope, "o");
    if let Some(status) = filter.status {
        let p = sql.param(sea_orm::ActiveEnum::to_value(&status));
        sql.and(format!("o.status = {p}"));
    }
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(opportunity) = filter.opportunity_id {
        let p = sql.param(opportunity);
        sql.and(format!("o.opportunity_id = {p}"));
    }
    let total_count = count_rows(db, "offers o", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(o.created_at, o.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = offers::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.* from offers o where {} \
                 order by o.created_at desc, o.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// Most offers the approval inbox lists.
pub const INBOX_LIMIT: u64 = 200;

/// The approval inbox of `user`: offers waiting for approval that they may approve (not
/// their own when the offer requires approval), oldest submission first.
pub async fn approval_inbox<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    user: Uuid,
) -> DomainResult<Vec<Offer>> {
    Ok(scope
        .rows::<offers::Entity>()
        .filter(offers::Column::Status.eq(OfferStatus::PendingApproval))
        .filter(
            sea_orm::Condition::any()
                .add(offers::Column::RequiresApproval.eq(false))
                .add(offers::Column::CreatedBy.is_null())
                .add(offers::Column::CreatedBy.ne(user)),
        )
        .order_by_asc(offers::Column::SubmittedAt)
        .order_by_asc(offers::Column::Id)
        .limit(INBOX_LIMIT)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}
