//! Writes on what the CRM learned from conversations: signal triage, example phrases, the
//! signal back-fill, the next-best-action lifecycle, health weights and radar triage.
use async_graphql::{Context, ID, Object};

use crate::graphql::context::{acting, parse_uuid};
use crate::{
    domain::signals::{
        actions::{self, Decision},
        detection, health, radar,
    },
    graphql::{
        error::IntoGqlError,
        signals::types::{
            HealthScoreNode, HealthWeight, HealthWeightInput, NextBestActionNode,
            RiskItemStatusGql, RiskRadarItem, SignalExamplePhrase, SignalNode, SignalStatusGql,
            SignalTypeGql,
        },
    },
};

/// CRM insight mutations.
#[derive(Default)]
pub struct SignalsMutation;

#[Object]
impl SignalsMutation {
    /// Sets a signal's triage state (open, acknowledged, resolved, dismissed).
    async fn set_signal_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: SignalStatusGql,
    ) -> async_graphql::Result<SignalNode> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        detection::set_status(db, &scope, &actor, id, status.into())
            .await
            .map(|s| SignalNode::new(s, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// Queues signal detection over every stored customer message of the active project
    /// (idempotent: signals found before are merged, not repeated). Returns how many messages
    /// were queued.
    async fn backfill_signals(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        let (db, scope, actor) = acting(ctx).await?;
        detection::backfill(db, &scope, &actor)
            .await
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
            .map_err(IntoGqlError::into_gql)
    }

    /// Adds an example phrase for similarity detection.
    async fn add_signal_example_phrase(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] signal_type: SignalTypeGql,
        phrase: String,
        language: Option<String>,
    ) -> async_graphql::Result<SignalExamplePhrase> {
        let (db, scope, actor) = acting(ctx).await?;
        detection::add_phrase(
            db,
            &scope,
            &actor,
            signal_type.into(),
            &phrase,
            language.as_deref(),
        )
        .await
        .map(Into::into)
        .map_err(IntoGqlError::into_gql)
    }

    /// Turns an example phrase on or off.
    async fn set_signal_example_phrase_enabled(
        &self,
        ctx: &Context<'_>,
        id: ID,
        enabled: bool,
    ) -> async_graphql::Result<SignalExamplePhrase> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        detection::set_phrase_enabled(db, &scope, &actor, id, enabled)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Deletes an example phrase (deleting every phrase brings the defaults back; disable
    /// them instead).
    async fn delete_signal_example_phrase(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ID> {
        let uuid = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        detection::delete_phrase(db, &scope, &actor, uuid)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(id)
    }

    /// Accepts an open next-best-action.
    async fn accept_next_best_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<NextBestActionNode> {
        decide(ctx, &id, Decision::Accept).await
    }

    /// Dismisses an open or accepted next-best-action (it is not raised again).
    async fn dismiss_next_best_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<NextBestActionNode> {
        decide(ctx, &id, Decision::Dismiss(reason)).await
    }

    /// Marks an open or accepted next-best-action done.
    async fn complete_next_best_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<NextBestActionNode> {
        decide(ctx, &id, Decision::Complete).await
    }

    /// Sets the project's health weights (every measure once, 0-100 each, summing to 100) and
    /// queues a recomputation of every account's score.
    async fn set_health_weights(
        &self,
        ctx: &Context<'_>,
        weights: Vec<HealthWeightInput>,
    ) -> async_graphql::Result<Vec<HealthWeight>> {
        let (db, scope, actor) = acting(ctx).await?;
        let input: Vec<(health::Measure, i32)> = weights
            .into_iter()
            .map(|w| (w.measure.into(), w.weight))
            .collect();
        let saved = health::set_weights(db, &scope, &actor, &input)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let job = crate::workers::queue::NewJob::new(
            crate::domain::signals::REFRESH_JOB,
            serde_json::json!({}),
        );
        crate::workers::queue::enqueue(db, &scope, job)
            .await
            .map_err(|e| crate::kernel::DomainError::from(e).into_gql())?;
        Ok(saved.into_iter().map(Into::into).collect())
    }

    /// Recomputes an account's health now (and updates the radar).
    async fn recompute_account_health(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> async_graphql::Result<HealthScoreNode> {
        let account_id = parse_uuid("accountId", &account_id)?;
        let (db, scope, _) = acting(ctx).await?;
        health::compute_account(db, &scope, account_id, chrono::Utc::now())
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }

    /// Sets a radar item's triage state (acknowledged keeps it on the radar; resolved and
    /// dismissed take it off).
    async fn set_risk_item_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: RiskItemStatusGql,
    ) -> async_graphql::Result<RiskRadarItem> {
        let id = parse_uuid("id", &id)?;
        let (db, scope, actor) = acting(ctx).await?;
        let item = match status {
            RiskItemStatusGql::Acknowledged => radar::acknowledge(db, &scope, &actor, id).await,
            RiskItemStatusGql::Resolved => radar::resolve(db, &scope, &actor, id).await,
            RiskItemStatusGql::Dismissed => radar::dismiss(db, &scope, &actor, id).await,
            RiskItemStatusGql::Open => {
                return Err(crate::graphql::error::validation(
                    "status",
                    "an item cannot be reopened; it comes back when its cause does",
                ));
            }
        };
        item.map(|r| RiskRadarItem::new(r, scope))
            .map_err(IntoGqlError::into_gql)
    }
}

async fn decide(
    ctx: &Context<'_>,
    id: &ID,
    decision: Decision,
) -> async_graphql::Result<NextBestActionNode> {
    let id = parse_uuid("id", id)?;
    let (db, scope, actor) = acting(ctx).await?;
    actions::decide(db, &scope, &actor, id, decision)
        .await
        .map(|a| NextBestActionNode::new(a, scope))
        .map_err(IntoGqlError::into_gql)
}
