//! Reads of what the CRM learned from conversations: the signals feed and its example phrases,
//! the next-best-action inbox and its rules, health history and weights, the risk radar.
use async_graphql::{Context, ID, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};

use crate::{
    domain::signals::{
        actions::{self, NBA_RULES, NbaCursor, NbaFilter},
        detection::{self, SignalFilter as DomainSignalFilter},
        health,
        radar::{self, RadarCursor, RadarFilter},
    },
    graphql::{
        context::{optional_uuid, project_scope},
        error::{IntoGqlError, validation},
        pagination::{self, ConnectionTotals},
        signals::types::{
            HealthWeight, NbaStatusGql, NextBestActionNode, NextBestActionRule, RiskItemStatusGql,
            RiskRadarItem, SignalExamplePhrase, SignalNode, SignalStatusGql, SignalTypeGql,
            signal_connection,
        },
    },
};

/// Which signals to list (every given condition must hold).
#[derive(InputObject, Debug, Default)]
pub struct SignalFilter {
    /// Any of these types.
    pub types: Option<Vec<SignalTypeGql>>,
    /// Any of these states.
    pub statuses: Option<Vec<SignalStatusGql>>,
    /// Of this account.
    pub account_id: Option<ID>,
    /// In this conversation (`cw:` id).
    pub conversation_id: Option<ID>,
    /// Written at or after.
    pub from: Option<DateTime<Utc>>,
    /// Written before.
    pub to: Option<DateTime<Utc>>,
}

/// Which next-best-actions to list.
#[derive(InputObject, Debug, Default)]
pub struct NextBestActionFilter {
    /// Any of these states (default: open and accepted).
    pub statuses: Option<Vec<NbaStatusGql>>,
    /// Of this account.
    pub account_id: Option<ID>,
    /// Assigned to this user.
    pub assignee_user_id: Option<ID>,
}

/// Which radar items to list.
#[derive(InputObject, Debug, Default)]
pub struct RiskRadarFilter {
    /// Only this state (default: the live ones, open and acknowledged).
    pub status: Option<RiskItemStatusGql>,
    /// Of this account.
    pub account_id: Option<ID>,
}

/// CRM insight queries.
#[derive(Default)]
pub struct SignalsQuery;

#[Object]
impl SignalsQuery {
    /// Signals of the active project, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn signals(
        &self,
        ctx: &Context<'_>,
        filter: Option<SignalFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, SignalNode, ConnectionTotals>> {
        let filter = filter.unwrap_or_default();
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(validation("filter.to", "must not be before filter.from"));
        }
        let (_, scope) = project_scope(ctx).await?;
        let filter = DomainSignalFilter {
            types: filter
                .types
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            statuses: filter
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
            conversation_global_id: filter.conversation_id.map(|c| c.0),
            from: filter.from,
            to: filter.to,
        };
        signal_connection(ctx, scope, filter, first, after).await
    }

    /// One signal of the active project.
    async fn signal(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SignalNode> {
        let id = crate::graphql::context::parse_uuid("id", &id)?;
        let (db, scope) = project_scope(ctx).await?;
        detection::get_signal(db, &scope, id)
            .await
            .map(|s| SignalNode::new(s, scope))
            .map_err(IntoGqlError::into_gql)
    }

    /// The example phrases similarity detection uses (the defaults on first use).
    async fn signal_example_phrases(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type")] signal_type: Option<SignalTypeGql>,
    ) -> async_graphql::Result<Vec<SignalExamplePhrase>> {
        let (db, scope) = project_scope(ctx).await?;
        let model = crate::domain::search::provider().model_id().to_owned();
        let phrases = detection::list_phrases(db, &scope, signal_type.map(Into::into), &model)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(phrases.into_iter().map(Into::into).collect())
    }

    /// Next-best-actions of the active project: highest priority first, then the earliest
    /// due (default: the open and accepted ones, i.e. the inbox).
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn next_best_actions(
        &self,
        ctx: &Context<'_>,
        filter: Option<NextBestActionFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, NextBestActionNode, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                NbaCursor::decode(&c).ok_or_else(|| validation("after", "is not a valid cursor"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let (db, scope) = project_scope(ctx).await?;
        let filter = NbaFilter {
            statuses: filter
                .statuses
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
            assignee_user_id: optional_uuid(
                "filter.assigneeUserId",
                filter.assignee_user_id.as_ref(),
            )?,
        };
        let page = actions::list_actions(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |a| a.cursor().encode(),
            |a| NextBestActionNode::new(a, scope),
        ))
    }

    /// The rules that raise next-best-actions, most urgent first.
    async fn next_best_action_rules(&self) -> Vec<NextBestActionRule> {
        NBA_RULES
            .iter()
            .map(|r| NextBestActionRule {
                key: r.key.to_owned(),
                description: r
                    .description
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
                priority: r.priority,
            })
            .collect()
    }

    /// The active project's health weights (the app's defaults until it sets its own).
    async fn health_weights(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<HealthWeight>> {
        let (db, scope) = project_scope(ctx).await?;
        let weights = health::weights(db, &scope)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(weights.into_iter().map(Into::into).collect())
    }

    /// The risk radar: accounts whose health fell across a band or that carry open risk
    /// signals, riskiest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn risk_radar(
        &self,
        ctx: &Context<'_>,
        filter: Option<RiskRadarFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, RiskRadarItem, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| {
                RadarCursor::decode(&c).ok_or_else(|| validation("after", "is not a valid cursor"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let filter = RadarFilter {
            status: filter.status.map(Into::into),
            account_id: optional_uuid("filter.accountId", filter.account_id.as_ref())?,
        };
        let (db, scope) = project_scope(ctx).await?;
        let page = radar::list(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |r| r.cursor().encode(),
            |r| RiskRadarItem::new(r, scope),
        ))
    }
}
