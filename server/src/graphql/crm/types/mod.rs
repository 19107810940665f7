//! API types for the CRM: accounts, their contact links, pipeline stages, opportunities with
//! stage history, and the pipeline board. Money leaves the API as a decimal string (exact, never
//! a float) next to its currency.
mod account;
mod board;
mod inputs;
mod opportunity;

use std::collections::HashMap;

use async_graphql::{
    ComplexObject, Context, Enum, ID, InputObject, MaybeUndefined, SimpleObject,
    connection::Connection, dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::{AccountContactLinkSource, AccountContactLinkStatus, CrmAccountStatus};
use sea_orm::prelude::Decimal;
use uuid::Uuid;

pub use self::{account::*, board::*, inputs::*, opportunity::*};
use crate::graphql::{
    audit::types::EvidenceReference, conversations::types::ContactNode,
    pagination::ConnectionTotals,
};
use crate::{
    domain::crm::{
        accounts::Account,
        contacts::{self, ContactLink},
        opportunities::{
            self, BoardColumn, CurrencyTotal, Opportunity, OpportunityFilter as DomainOppFilter,
            StageEvent,
        },
        pipeline::{self, Stage},
    },
    graphql::{
        context::ContextExt,
        error::{IntoGqlError, validation},
        loaders::ContactLoader,
        pagination,
    },
    kernel::Scope,
};

/// An amount as the API shows it: at least two decimals ("1234.50"), exact.
pub fn money(amount: Decimal) -> String {
    let mut d = amount.normalize();
    if d.scale() < 2 {
        d.rescale(2);
    }
    d.to_string()
}

/// Reads an amount typed by a client: digits with at most two decimals ("1234.5", "99.99").
pub fn parse_money(field: &str, raw: &str) -> async_graphql::Result<Decimal> {
    let text = raw.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let well_formed = !whole.is_empty()
        && whole.len() <= 16
        && digits(whole)
        && fraction.len() <= 2
        && digits(fraction)
        && !(text.contains('.') && fraction.is_empty());
    if !well_formed {
        return Err(validation(
            field,
            "use a non-negative amount like 1234.50 (at most two decimals)",
        ));
    }
    text.parse::<Decimal>().map_err(|_| {
        validation(
            field,
            "use a non-negative amount like 1234.50 (at most two decimals)",
        )
    })
}

/// Lifecycle of an account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CrmAccountStatus")]
pub enum CrmAccountStatusGql {
    /// In use.
    Active,
    /// Archived (kept, hidden from the default listing's work).
    Archived,
    /// Merged into another account (`mergedIntoId`).
    Merged,
}

impl From<CrmAccountStatus> for CrmAccountStatusGql {
    fn from(s: CrmAccountStatus) -> Self {
        match s {
            CrmAccountStatus::Active => Self::Active,
            CrmAccountStatus::Archived => Self::Archived,
            CrmAccountStatus::Merged => Self::Merged,
        }
    }
}

impl From<CrmAccountStatusGql> for CrmAccountStatus {
    fn from(s: CrmAccountStatusGql) -> Self {
        match s {
            CrmAccountStatusGql::Active => Self::Active,
            CrmAccountStatusGql::Archived => Self::Archived,
            CrmAccountStatusGql::Merged => Self::Merged,
        }
    }
}

/// State of a contact's link to an account.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLinkStatus {
    /// Suggested by the system, waiting for a person.
    Suggested,
    /// Confirmed by a person.
    Confirmed,
    /// Rejected by a person (never suggested again).
    Rejected,
}

impl From<AccountContactLinkStatus> for ContactLinkStatus {
    fn from(s: AccountContactLinkStatus) -> Self {
        match s {
            AccountContactLinkStatus::Suggested => Self::Suggested,
            AccountContactLinkStatus::Confirmed => Self::Confirmed,
            AccountContactLinkStatus::Rejected => Self::Rejected,
        }
    }
}

impl From<ContactLinkStatus> for AccountContactLinkStatus {
    fn from(s: ContactLinkStatus) -> Self {
        match s {
            ContactLinkStatus::Suggested => Self::Suggested,
            ContactLinkStatus::Confirmed => Self::Confirmed,
            ContactLinkStatus::Rejected => Self::Rejected,
        }
    }
}

/// How a contact link was found.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactLinkSource {
    /// Linked by a person.
    Manual,
    /// The contact's email domain is the account's domain.
    EmailDomain,
    /// A Chatwoot company attribute names the account.
    CompanyAttribute,
    /// Taken over from a merged account.
    Merge,
}

impl From<AccountContactLinkSource> for ContactLinkSource {
    fn from(s: AccountContactLinkSource) -> Self {
        match s {
            AccountContactLinkSource::Manual => Self::Manual,
            AccountContactLinkSource::EmailDomain => Self::EmailDomain,
            AccountContactLinkSource::CompanyAttribute => Self::CompanyAttribute,
            AccountContactLinkSource::Merge => Self::Merge,
        }
    }
}

/// Order of the account listing.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrmAccountOrder {
    /// By name, A-Z.
    #[default]
    Name,
    /// Most recently changed first.
    UpdatedAt,
}

/// Open or closed opportunities.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OpportunityState")]
pub enum OpportunityStateGql {
    /// In an open stage.
    Open,
    /// In a won or lost stage.
    Closed,
}

/// What a stage means for the opportunities in it.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PipelineStageKind {
    /// Still being worked.
    #[default]
    Open,
    /// Won (a pipeline has exactly one).
    Won,
    /// Lost.
    Lost,
}

fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_shows_two_decimals_at_least() {
        assert_eq!(money(Decimal::new(12345, 1)), "1234.50");
        assert_eq!(money(Decimal::new(7, 0)), "7.00");
        assert_eq!(money(Decimal::new(407385, 3)), "407.385");
    }

    #[test]
    fn typed_amounts_are_plain_decimals() {
        assert_eq!(
            parse_money("a", " 1234.5 ").ok(),
            Some(Decimal::new(12345, 1))
        );
        assert_eq!(parse_money("a", "0").ok(), Some(Decimal::ZERO));
        for bad in ["", "-1", "1.234", "1e5", "1.", ".5", "12,50", "abc"] {
            assert!(parse_money("a", bad).is_err(), "{bad}");
        }
    }
}
