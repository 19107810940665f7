//! API types: separate from table models, so the schema is not the database.
pub mod audit;
pub mod campaigns;
pub mod chatwoot;
pub mod crm;
pub mod identity;
pub mod insights;
pub mod offers;
pub mod outbound;
pub mod project;
pub mod search;
pub mod source;
pub mod token;

use async_graphql::SimpleObject;

/// Extra fields every connection carries.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionTotals {
    /// Items in the whole filtered listing, across all pages.
    pub total_count: i64,
}
