//! The schema's roots: one query and one mutation object per capability, merged. Cookie
//! sessions must send their CSRF token for a mutation (checked in `graphql::execute` before any
//! of these runs).
use async_graphql::MergedObject;

use crate::graphql::{
    audit, campaigns, conversations, crm, identity, offers, outbound, search, signals, system,
};

/// Root of every read.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    system::SystemQuery,
    identity::query::IdentityQuery,
    identity::projects_query::ProjectsQuery,
    identity::tokens_query::TokensQuery,
    identity::settings::SettingsQuery,
    audit::query::AuditQuery,
    conversations::query::ConversationsQuery,
    search::query::SearchQuery,
    crm::query::CrmQuery,
    signals::query::SignalsQuery,
    offers::query::OffersQuery,
    campaigns::query::CampaignsQuery,
    outbound::query::OutboundQuery,
);

/// Root of every write.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    identity::mutation::IdentityMutation,
    identity::projects_mutation::ProjectsMutation,
    identity::tokens_mutation::TokensMutation,
    identity::settings::SettingsMutation,
    conversations::mutation::ConversationsMutation,
    search::mutation::SearchMutation,
    crm::mutation::CrmMutation,
    signals::mutation::SignalsMutation,
    offers::mutation::OffersMutation,
    campaigns::mutation::CampaignsMutation,
    outbound::mutation::OutboundMutation,
);
