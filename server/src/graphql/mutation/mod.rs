//! The root mutation: one object per area, merged. Cookie sessions must send their CSRF token
//! (checked in `graphql::execute` before any of these runs).
mod auth;
mod campaigns;
mod crm;
mod embeddings;
mod insights;
mod offers;
mod outbound;
mod projects;
mod sync;
mod tokens;

use async_graphql::MergedObject;
use uuid::Uuid;

use crate::graphql::error::validation;

/// Root of every write.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    auth::AuthMutation,
    projects::ProjectsMutation,
    tokens::TokensMutation,
    sync::SyncMutation,
    embeddings::EmbeddingsMutation,
    crm::CrmMutation,
    insights::InsightsMutation,
    offers::OffersMutation,
    campaigns::CampaignsMutation,
    outbound::OutboundMutation,
);

/// Parses an optional `ID` argument that must be a UUID when given.
pub(crate) fn optional_uuid(
    field: &str,
    id: Option<&async_graphql::ID>,
) -> async_graphql::Result<Option<Uuid>> {
    id.map(|id| parse_uuid(field, id)).transpose()
}

/// Parses an `ID` argument that must be a UUID.
pub(crate) fn parse_uuid(field: &str, id: &async_graphql::ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(id.as_str()).map_err(|_| validation(field, "is not a valid id"))
}
