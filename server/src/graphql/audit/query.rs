//! The active project's audit trail (owners and admins).
use async_graphql::{Context, Object, connection::Connection};
use chrono::Utc;
use entity::enums::MemberRole;

use crate::{
    graphql::{
        audit::types::{AuditEvent, AuditEventFilter},
        context::ContextExt,
        error::{IntoGqlError, validation},
        pagination::{self, ConnectionTotals},
    },
    kernel::{
        DomainError,
        audit::{self, AuditFilter},
    },
};

/// Audit queries.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Audit events of the active project, newest first.
    #[graphql(complexity = "crate::graphql::pagination::page_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AuditEvent, ConnectionTotals>> {
        let first =
            pagination::page_size(first).map_err(|e| validation("first", &e.to_string()))?;
        let after = after
            .map(|c| pagination::decode_time_id(&c))
            .transpose()
            .map_err(|e| validation("after", &e.to_string()))?;
        let filter = filter.unwrap_or_default();
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && from > to
        {
            return Err(validation("filter.from", "must not be after filter.to"));
        }
        let db = ctx.db()?;
        let (_, scope, role) = ctx
            .auth()?
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        if role == MemberRole::Member {
            return Err(DomainError::Forbidden.into_gql());
        }
        let filter = AuditFilter {
            action: filter.action,
            actor: filter.actor,
            from: filter.from,
            to: filter.to,
        };
        let page = audit::list(db, &scope, &filter, first, after)
            .await
            .map_err(IntoGqlError::into_gql)?;
        Ok(pagination::connection(
            page.items,
            after.is_some(),
            page.has_next_page,
            page.total_count,
            |event| pagination::encode_time_id(event.created_at.with_timezone(&Utc), event.id),
            AuditEvent::from,
        ))
    }
}
