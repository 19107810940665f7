//! The root query: one object per area, merged.
mod audit;
mod campaigns;
mod chatwoot;
mod crm;
mod identity;
mod insights;
mod offers;
mod outbound;
mod projects;
mod search;
mod system;
mod tokens;

use async_graphql::MergedObject;

/// Root of every read.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    system::SystemQuery,
    identity::IdentityQuery,
    projects::ProjectsQuery,
    tokens::TokensQuery,
    audit::AuditQuery,
    chatwoot::ChatwootQuery,
    search::SearchQuery,
    crm::CrmQuery,
    insights::InsightsQuery,
    offers::OffersQuery,
    campaigns::CampaignsQuery,
    outbound::OutboundQuery,
);
