//! Reading opportunities: one, listings, stage history and the pipeline board.
use super::*;

/// One opportunity of the scope.
pub async fn get_opportunity<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Opportunity> {
    Ok(find(db, scope, id, false).await?.into())
}

impl Opportunity {
    /// Its position in [`list_opportunities`] (created_at, id).
    pub fn cursor(&self) -> (DateTime<Utc>, Uuid) {
        (self.created_at, self.id)
    }
}

/// Opportunities matching `filter`, newest first, `first` at a time after the keyset `after`
/// (from [`Opportunity::cursor`]).
pub async fn list_opportunities<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &OpportunityFilter,
    first: u64,
    after: Option<(DateTime<Utc>, Uuid)>,
) -> DomainResult<Page<Opportunity>> {
    let mut sql = Sql::scoped(scope, "o");
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(stage) = filter.stage_id {
        let p = sql.param(stage);
        sql.and(format!("o.stage_id = {p}"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("o.owner_user_id = {p}"));
    }
    if let Some(state) = filter.state {
        let closed = "exists (select 1 from crm_pipeline_stages s \
             where s.project_id = o.project_id and s.id = o.stage_id and (s.is_won or s.is_lost))";
        sql.and(match state {
            OpportunityState::Closed => closed.to_owned(),
            OpportunityState::Open => format!("not {closed}"),
        });
    }
    let total_count = count_rows(db, "crm_opportunities o", &sql).await?;
    if let Some((at, id)) = after {
        let t = sql.param(at);
        let i = sql.param(id);
        sql.and(format!("(o.created_at, o.id) < ({t}, {i})"));
    }
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = crm_opportunities::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.* from crm_opportunities o where {} \
                 order by o.created_at desc, o.id desc limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

/// An opportunity's stage history, oldest first.
pub async fn stage_history<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    opportunity_id: Uuid,
) -> DomainResult<Vec<StageEvent>> {
    find(db, scope, opportunity_id, false).await?;
    Ok(scope
        .rows::<crm_opportunity_stage_events::Entity>()
        .filter(crm_opportunity_stage_events::Column::OpportunityId.eq(opportunity_id))
        .order_by_asc(crm_opportunity_stage_events::Column::ChangedAt)
        .order_by_asc(crm_opportunity_stage_events::Column::CreatedAt)
        .order_by_asc(crm_opportunity_stage_events::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The pipeline board: every stage in order with up to `per_stage` of its opportunities
/// (most recently changed first), its count, and per currency the total amount and the
/// weighted forecast (amount x (own probability, else the stage default) / 100), over all of
/// the stage's opportunities matching `filter`.
pub async fn pipeline_board<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &BoardFilter,
    per_stage: u64,
) -> DomainResult<Vec<BoardColumn>> {
    let stages = pipeline::list_stages(db, scope).await?;
    let mut sql = Sql::scoped(scope, "o");
    if let Some(account) = filter.account_id {
        let p = sql.param(account);
        sql.and(format!("o.account_id = {p}"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("o.owner_user_id = {p}"));
    }

    // Sums stay numeric in SQL; the one division happens in Decimal, both exact.
    let totals = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select o.stage_id, o.currency::text as currency, count(*) as n, \
                   sum(o.amount) as amount, \
                   sum(o.amount * coalesce(o.probability, s.default_probability)) as weighted_x100 \
                 from crm_opportunities o \
                 join crm_pipeline_stages s on s.project_id = o.project_id and s.id = o.stage_id \
                 where {} group by o.stage_id, o.currency",
                sql.where_clause()
            ),
            sql.values.clone(),
        ))
        .await?;
    let mut by_stage: BTreeMap<Uuid, (u64, Vec<CurrencyTotal>)> = BTreeMap::new();
    for row in totals {
        let stage_id: Uuid = row.try_get("", "stage_id")?;
        let n: i64 = row.try_get("", "n")?;
        let weighted_x100: Decimal = row.try_get("", "weighted_x100")?;
        let entry = by_stage.entry(stage_id).or_default();
        entry.0 += n.max(0) as u64;
        entry.1.push(CurrencyTotal {
            currency: row.try_get("", "currency")?,
            amount: row.try_get("", "amount")?,
            weighted: (weighted_x100 / Decimal::ONE_HUNDRED).normalize(),
        });
    }

    let limit = sql.param(i64::try_from(per_stage).unwrap_or(i64::MAX));
    let rows = crm_opportunities::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select * from ( \
                   select o.*, row_number() over \
                     (partition by o.stage_id order by o.updated_at desc, o.id desc) as board_rank \
                   from crm_opportunities o where {} \
                 ) ranked where board_rank <= {limit} order by stage_id, board_rank",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    let mut listed: BTreeMap<Uuid, Vec<Opportunity>> = BTreeMap::new();
    for row in rows {
        listed.entry(row.stage_id).or_default().push(row.into());
    }

    Ok(stages
        .into_iter()
        .map(|stage| {
            let (count, mut totals) = by_stage.remove(&stage.id).unwrap_or_default();
            totals.sort_by(|a, b| a.currency.cmp(&b.currency));
            BoardColumn {
                opportunities: listed.remove(&stage.id).unwrap_or_default(),
                count,
                totals,
                stage,
            }
        })
        .collect())
}
