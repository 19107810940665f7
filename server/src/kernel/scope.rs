//! `Scope`: the tenant a piece of work runs in. Only this module makes one, from a project that
//! exists; services take it and filter every query by it through [`Scope::rows`] and
//! [`Scope::filter_for`], so the tenant filter is written once, here.
use entity::{project_members, projects};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Select,
};
use uuid::Uuid;

use crate::kernel::error::{DomainError, DomainResult};

/// The active project and its account scope: every scoped row carries both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    project_id: Uuid,
    account_scope_id: Uuid,
}

impl Scope {
    /// The scope of `project_id`, read from the database (workers and system jobs run in the
    /// scope of the project their job belongs to). Archived projects have no scope.
    pub async fn for_project<C: ConnectionTrait>(db: &C, project_id: Uuid) -> DomainResult<Scope> {
        let project = projects::Entity::find_by_id(project_id)
            .one(db)
            .await?
            .filter(|p| p.archived_at.is_none())
            .ok_or(DomainError::NotFound("project"))?;
        Ok(Scope {
            project_id: project.id,
            account_scope_id: project.account_scope_id,
        })
    }

    /// The project.
    pub fn project_id(&self) -> Uuid {
        self.project_id
    }

    /// The project's account scope.
    pub fn account_scope_id(&self) -> Uuid {
        self.account_scope_id
    }

    /// The tenant filter on `E`'s rows: its project and its account scope.
    pub fn filter_for<E: Scoped>(&self) -> Condition {
        Condition::all()
            .add(E::project_column().eq(self.project_id))
            .add(E::account_scope_column().eq(self.account_scope_id))
    }

    /// `E::find()` restricted to this scope's rows.
    pub fn rows<E: Scoped>(&self) -> Select<E> {
        E::find().filter(self.filter_for::<E>())
    }

    /// Whether `user_id` is a member of the project (only members may own its rows).
    pub async fn has_member<C: ConnectionTrait>(
        &self,
        db: &C,
        user_id: Uuid,
    ) -> DomainResult<bool> {
        let n = self
            .rows::<project_members::Entity>()
            .filter(project_members::Column::UserId.eq(user_id))
            .count(db)
            .await?;
        Ok(n > 0)
    }
}

/// A table whose rows carry `(project_id, account_scope_id)`: a tenant's rows.
pub trait Scoped: EntityTrait {
    /// The `project_id` column.
    fn project_column() -> Self::Column;
    /// The `account_scope_id` column.
    fn account_scope_column() -> Self::Column;
}

macro_rules! scoped_tables {
    ($($table:ident),* $(,)?) => {
        $(
            impl Scoped for entity::$table::Entity {
                fn project_column() -> Self::Column {
                    entity::$table::Column::ProjectId
                }
                fn account_scope_column() -> Self::Column {
                    entity::$table::Column::AccountScopeId
                }
            }
        )*
    };
}

scoped_tables!(
    analytics_revenue_snapshots,
    api_tokens,
    audit_events,
    campaign_events,
    campaign_members,
    campaign_segments,
    campaigns,
    case_evidence_refs,
    case_library_entries,
    contact_channel_policies,
    crm_account_contacts,
    crm_accounts,
    crm_health_weights,
    crm_opportunities,
    crm_opportunity_stage_events,
    crm_pipeline_stages,
    cw_contacts,
    cw_conversations,
    cw_messages,
    evidence_items,
    health_scores,
    job_runs,
    next_best_actions,
    offer_approvals,
    offer_items,
    offers,
    outbound_attempts,
    outbound_messages,
    project_members,
    project_settings,
    project_sources,
    rag_chunks,
    risk_radar_items,
    scheduled_jobs,
    signal_example_phrases,
    signals,
    sync_watermarks,
    webhook_deliveries,
    worker_runs,
);
