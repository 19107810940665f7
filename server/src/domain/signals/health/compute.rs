//! Computing an account's score: gathering the measures' inputs and evidence, evaluating them, and appending to the history.
use super::*;

/// A customer turn: its first message and how long it waited for our reply.
#[derive(Debug, Clone)]
pub(super) struct Turn {
    pub(super) message_id: String,
    pub(super) hours: f64,
}

/// What a score is computed from.
#[derive(Debug, Clone, Default)]
pub(super) struct Inputs {
    /// Customer turns in the window, longest wait first.
    pub(super) turns: Vec<Turn>,
    /// Open or pending conversations.
    pub(super) unresolved: u64,
    /// Some of them (evidence).
    pub(super) unresolved_ids: Vec<String>,
    /// Live risk signals in the window.
    pub(super) risk_signals: u64,
    /// Some of them, newest first (evidence).
    pub(super) signal_ids: Vec<Uuid>,
    /// The last message and when it was written.
    pub(super) last_message: Option<(String, DateTime<Utc>)>,
    /// Open opportunities.
    pub(super) open_opportunities: u64,
    /// Whether the account has any opportunity.
    pub(super) has_opportunities: bool,
    /// Where they stand.
    pub(super) standing: Option<OpportunityStanding>,
    /// The opportunities behind the standing (evidence).
    pub(super) opportunity_ids: Vec<Uuid>,
}

/// Conversations of the account's confirmed contacts (`$1` project, `$2` scope, `$3` account).
pub(super) const ACCOUNT_CONVERSATIONS: &str = "select c.id, c.status from cw_conversations c \
     where c.project_id = $1 and c.account_scope_id = $2 and c.contact_global_id in ( \
       select l.contact_global_id from crm_account_contacts l \
       where l.project_id = $1 and l.account_scope_id = $2 and l.account_id = $3 \
         and l.link_status = 'confirmed')";

/// Evidence kept per measure.
pub(super) const EVIDENCE_PER_MEASURE: usize = 5;

pub(super) async fn gather<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Inputs> {
    let backend = db.get_database_backend();
    let base = || -> Vec<DbValue> {
        vec![
            scope.project_id().into(),
            scope.account_scope_id().into(),
            account_id.into(),
        ]
    };
    let window_start = now - Duration::days(WINDOW_DAYS);
    let mut inputs = Inputs::default();

    let mut values = base();
    values.push(window_start.into());
    values.push(now.into());
    let turns = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}), \
                 msgs as ( \
                   select m.id, m.conversation_global_id as conversation, m.message_type, \
                     m.created_at, lag(m.message_type) over ( \
                       partition by m.conversation_global_id order by m.created_at, m.id \
                     ) as previous_type \
                   from cw_messages m \
                   where m.project_id = $1 and m.account_scope_id = $2 \
                     and m.conversation_global_id in (select id from conv) \
                     and not m.private and m.message_type in ('incoming', 'outgoing') \
                     and m.created_at > $4 and m.created_at <= $5) \
                 select t.id, extract(epoch from (coalesce(r.replied_at, $5) - t.created_at)) \
                   ::float8 / 3600.0 as hours \
                 from msgs t \
                 left join lateral ( \
                   select min(o.created_at) as replied_at from msgs o \
                   where o.conversation = t.conversation and o.message_type = 'outgoing' \
                     and (o.created_at, o.id) > (t.created_at, t.id)) r on true \
                 where t.message_type = 'incoming' and t.previous_type is distinct from 'incoming' \
                 order by hours desc, t.id"
            ),
            values,
        ))
        .await?;
    for row in turns {
        inputs.turns.push(Turn {
            message_id: row.try_get("", "id")?,
            hours: row.try_get("", "hours")?,
        });
    }

    let unresolved = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}) \
                 select c.id, count(*) over () as n from conv c \
                 where c.status in ('open', 'pending') order by c.id limit {EVIDENCE_PER_MEASURE}"
            ),
            base(),
        ))
        .await?;
    for row in unresolved {
        let n: i64 = row.try_get("", "n")?;
        inputs.unresolved = n.max(0) as u64;
        inputs.unresolved_ids.push(row.try_get("", "id")?);
    }

    let mut values = base();
    values.push(window_start.into());
    values.push(now.into());
    let signals = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "select s.id, count(*) over () as n from signals s \
                 where s.project_id = $1 and s.account_scope_id = $2 and s.account_id = $3 \
                   and s.status in ('open', 'acknowledged') \
                   and s.signal_type in ('churn_risk', 'complaint') \
                   and s.occurred_at > $4 and s.occurred_at <= $5 \
                 order by s.occurred_at desc, s.id limit {EVIDENCE_PER_MEASURE}"
            ),
            values,
        ))
        .await?;
    for row in signals {
        let n: i64 = row.try_get("", "n")?;
        inputs.risk_signals = n.max(0) as u64;
        inputs.signal_ids.push(row.try_get("", "id")?);
    }

    let mut values = base();
    values.push(now.into());
    let last = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "with conv as ({ACCOUNT_CONVERSATIONS}) \
                 select m.id, m.created_at from cw_messages m \
                 where m.project_id = $1 and m.account_scope_id = $2 \
                   and m.conversation_global_id in (select id from conv) \
                   and not m.private and m.message_type in ('incoming', 'outgoing') \
                   and m.created_at <= $4 \
                 order by m.created_at desc, m.id desc limit 1"
            ),
            values,
        ))
        .await?;
    if let Some(row) = last {
        inputs.last_message = Some((row.try_get("", "id")?, row.try_get("", "created_at")?));
    }

    let opportunities = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "select o.id, s.is_won, s.is_lost, o.closed_at from crm_opportunities o \
             join crm_pipeline_stages s on s.project_id = o.project_id and s.id = o.stage_id \
             where o.project_id = $1 and o.account_scope_id = $2 and o.account_id = $3 \
             order by o.updated_at desc, o.id",
            base(),
        ))
        .await?;
    let won_since = now - Duration::days(WON_WINDOW_DAYS);
    let (mut won_recently, mut open, mut lost, mut won) = (vec![], vec![], vec![], 0u64);
    for row in opportunities {
        let id: Uuid = row.try_get("", "id")?;
        let is_won: bool = row.try_get("", "is_won")?;
        let is_lost: bool = row.try_get("", "is_lost")?;
        let closed_at: Option<DateTime<Utc>> = row.try_get("", "closed_at")?;
        if is_won {
            won += 1;
            if closed_at.is_some_and(|t| t > won_since) {
                won_recently.push(id);
            }
        } else if is_lost {
            lost.push(id);
        } else {
            open.push(id);
        }
    }
    inputs.has_opportunities = won > 0 || !lost.is_empty() || !open.is_empty();
    inputs.open_opportunities = open.len() as u64;
    let (standing, mut ids) = if !won_recently.is_empty() {
        (OpportunityStanding::WonRecently, won_recently)
    } else if !open.is_empty() {
        (OpportunityStanding::Open, open)
    } else if !lost.is_empty() && won == 0 {
        (OpportunityStanding::OnlyLost, lost)
    } else {
        (OpportunityStanding::Quiet, vec![])
    };
    ids.truncate(3);
    inputs.standing = Some(standing);
    inputs.opportunity_ids = ids;
    Ok(inputs)
}

/// The measures and their evidence from `inputs`.
pub(super) fn evaluate(
    inputs: &Inputs,
    weights: &[Weight],
    now: DateTime<Utc>,
) -> (Vec<MeasureScore>, f64, Value) {
    let weight_of = |measure: Measure| {
        weights
            .iter()
            .find(|w| w.measure == measure)
            .map_or(0, |w| w.weight)
    };
    let latency = (!inputs.turns.is_empty())
        .then(|| inputs.turns.iter().map(|t| t.hours).sum::<f64>() / inputs.turns.len() as f64);
    let days = inputs
        .last_message
        .as_ref()
        .map(|(_, at)| ((now - *at).num_seconds().max(0) as f64) / 86_400.0);
    let standing = inputs.standing.unwrap_or(OpportunityStanding::Quiet);
    let raw = [
        (Measure::ReplyLatency, latency, reply_latency_score(latency)),
        (
            Measure::UnresolvedConversations,
            Some(inputs.unresolved as f64),
            unresolved_score(inputs.unresolved),
        ),
        (
            Measure::RecentSignals,
            Some(inputs.risk_signals as f64),
            recent_signals_score(inputs.risk_signals),
        ),
        (Measure::ActivityRecency, days, activity_recency_score(days)),
        (
            Measure::OpportunityState,
            inputs
                .has_opportunities
                .then_some(inputs.open_opportunities as f64),
            opportunity_score(standing),
        ),
    ];
    let total: f64 = raw
        .iter()
        .map(|(measure, _, sub)| f64::from(weight_of(*measure)) * sub)
        .sum::<f64>()
        / 100.0;
    let score = round2(total.clamp(0.0, 100.0));
    let measures = raw
        .iter()
        .map(|(measure, value, sub)| MeasureScore {
            measure: *measure,
            value: value.map(round2),
            score: round2(*sub),
            weight: weight_of(*measure),
        })
        .collect();

    let mut evidence: Vec<Value> = Vec::new();
    for id in &inputs.signal_ids {
        evidence.push(json!({ "kind": "signal", "id": id.to_string() }));
    }
    for id in &inputs.unresolved_ids {
        evidence.push(json!({ "kind": "conversation", "id": id }));
    }
    for turn in inputs
        .turns
        .iter()
        .filter(|t| t.hours > REPLY_BEST_HOURS)
        .take(3)
    {
        evidence.push(json!({ "kind": "message", "id": turn.message_id }));
    }
    if let (Some((id, _)), Some(d)) = (&inputs.last_message, days)
        && d > RECENCY_BEST_DAYS
    {
        evidence.push(json!({ "kind": "message", "id": id }));
    }
    for id in &inputs.opportunity_ids {
        evidence.push(json!({ "kind": "opportunity", "id": id.to_string() }));
    }
    evidence.truncate(MAX_SCORE_EVIDENCE);
    (measures, score, Value::Array(evidence))
}

pub(super) fn measures_json(measures: &[MeasureScore]) -> Value {
    let mut object = Map::new();
    for m in measures {
        object.insert(
            measure_key(m.measure).to_owned(),
            json!({ "value": m.value, "score": m.score, "weight": m.weight }),
        );
    }
    Value::Object(object)
}

/// The account's latest score computed at or before `at`.
pub(super) async fn latest_at<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    at: DateTime<Utc>,
) -> DomainResult<Option<health_scores::Model>> {
    Ok(scope
        .rows::<health_scores::Entity>()
        .filter(health_scores::Column::AccountId.eq(account_id))
        .filter(health_scores::Column::ComputedAt.lte(at))
        .order_by_desc(health_scores::Column::ComputedAt)
        .order_by_desc(health_scores::Column::CreatedAt)
        .order_by_desc(health_scores::Column::Id)
        .one(db)
        .await?)
}

/// Computes the account's health at `now`, appends it to the history (unless it repeats the
/// latest row within [`QUIET_HOURS`] hours: then that row is returned) and lets the radar
/// react, all in one transaction. Merged accounts are a conflict; archived ones are scored.
pub async fn compute_account(
    db: &DatabaseConnection,
    scope: &Scope,
    account_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<HealthScore> {
    let txn = db.begin().await?;
    // Serializes computations of one account, so each sees the other's row as its previous.
    let account = crm_accounts::Entity::find_by_id(account_id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .lock(LockType::NoKeyUpdate)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    if account.status == CrmAccountStatus::Merged {
        return Err(DomainError::Conflict(
            "This account was merged into another account".to_owned(),
        ));
    }
    let weights = weights(&txn, scope).await?;
    let previous = latest_at(&txn, scope, account_id, now).await?;
    let inputs = gather(&txn, scope, account_id, now).await?;
    let (measures, score, evidence) = evaluate(&inputs, &weights, now);
    let band = band_of(score);
    if let Some(previous) = &previous {
        let age = now - previous.computed_at.with_timezone(&Utc);
        if previous.band == band
            && previous.score.round() == score.round()
            && age < Duration::hours(QUIET_HOURS)
        {
            txn.commit().await?;
            return Ok(previous.clone().into());
        }
    }
    let row = health_scores::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        account_id: Set(account_id),
        score: Set(score),
        band: Set(band),
        previous_score: Set(previous.as_ref().map(|p| p.score)),
        previous_band: Set(previous.as_ref().map(|p| p.band)),
        trend: Set(trend_of(score, previous.as_ref().map(|p| p.score))),
        measures: Set(measures_json(&measures)),
        evidence_refs: Set(evidence),
        computed_at: Set(now.into()),
        created_at: Set(Utc::now().into()),
    }
    .insert(&txn)
    .await?;
    let health: HealthScore = row.into();
    radar::on_health_score(&txn, scope, &health).await?;
    txn.commit().await?;
    Ok(health)
}

/// Computes every active account of the project at `now` (each in its own transaction);
/// returns how many were computed. Accounts merged meanwhile are skipped.
pub async fn recompute_project(
    db: &DatabaseConnection,
    scope: &Scope,
    now: DateTime<Utc>,
) -> DomainResult<u64> {
    let ids: Vec<Uuid> = crm_accounts::Entity::find()
        .select_only()
        .column(crm_accounts::Column::Id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .filter(crm_accounts::Column::Status.eq(CrmAccountStatus::Active))
        .order_by_asc(crm_accounts::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut computed = 0;
    for id in ids {
        match compute_account(db, scope, id, now).await {
            Ok(_) => computed += 1,
            Err(DomainError::NotFound(_) | DomainError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(computed)
}
