//! Project settings: read by every member, changed by owners and admins.
use async_graphql::{Context, InputObject, Object, SimpleObject};

use crate::{
    domain::identity::settings::{self, ProjectSettings, SettingsChange},
    graphql::{
        context::{ContextExt, project_scope},
        error::IntoGqlError,
    },
};

/// The rules of the active project.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "ProjectSettings")]
pub struct ProjectSettingsNode {
    /// An outbound message needs an approver other than its author.
    pub outbound_four_eyes: bool,
    /// An offer whose largest line discount exceeds this percentage needs a second approver.
    pub offer_discount_approval_threshold: f64,
    /// Messages per contact and channel within the window, when a contact has no own cap.
    pub default_frequency_cap: i32,
    /// The cap's window, in seconds.
    pub default_frequency_window_seconds: i32,
    /// The project's own opt-out phrases (empty: the built-in ones apply).
    pub opt_out_phrases: Vec<String>,
    /// Seconds between scheduled syncs of the bound Chatwoot account (null: none bound).
    pub sync_interval_seconds: Option<i32>,
}

impl From<ProjectSettings> for ProjectSettingsNode {
    fn from(s: ProjectSettings) -> Self {
        Self {
            outbound_four_eyes: s.outbound_four_eyes,
            offer_discount_approval_threshold: s.offer_discount_approval_threshold,
            default_frequency_cap: s.default_frequency_cap,
            default_frequency_window_seconds: s.default_frequency_window_seconds,
            opt_out_phrases: s.opt_out_phrases,
            sync_interval_seconds: s.sync_interval_seconds,
        }
    }
}

/// A change to the settings; omitted fields stay as they are.
#[derive(InputObject, Debug, Clone, Default)]
pub struct UpdateProjectSettingsInput {
    /// Require an approver other than the author for outbound messages.
    pub outbound_four_eyes: Option<bool>,
    /// 0-100.
    pub offer_discount_approval_threshold: Option<f64>,
    /// 0-1000 messages.
    pub default_frequency_cap: Option<i32>,
    /// 3600-31536000 seconds.
    pub default_frequency_window_seconds: Option<i32>,
    /// At most 50 phrases of at most 80 characters; an empty list restores the built-in ones.
    pub opt_out_phrases: Option<Vec<String>>,
    /// 60-86400 seconds (needs a bound Chatwoot account).
    pub sync_interval_seconds: Option<i32>,
}

/// Settings queries.
#[derive(Default)]
pub struct SettingsQuery;

#[Object]
impl SettingsQuery {
    /// The active project's settings.
    async fn project_settings(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<ProjectSettingsNode> {
        let (db, scope) = project_scope(ctx).await?;
        settings::get(db, &scope)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}

/// Settings mutations.
#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Changes the active project's settings (owners and admins; audited).
    async fn update_project_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateProjectSettingsInput,
    ) -> async_graphql::Result<ProjectSettingsNode> {
        let db = ctx.db()?;
        let auth = ctx.auth()?;
        let (_, scope, role) = auth
            .require_scope(db)
            .await
            .map_err(IntoGqlError::into_gql)?;
        let change = SettingsChange {
            outbound_four_eyes: input.outbound_four_eyes,
            offer_discount_approval_threshold: input.offer_discount_approval_threshold,
            default_frequency_cap: input.default_frequency_cap,
            default_frequency_window_seconds: input.default_frequency_window_seconds,
            opt_out_phrases: input.opt_out_phrases,
            sync_interval_seconds: input.sync_interval_seconds,
        };
        settings::update(db, &scope, role, &auth.caller.actor(), change)
            .await
            .map(Into::into)
            .map_err(IntoGqlError::into_gql)
    }
}
