//! CRM accounts: the companies a project sells to. Accounts are archived rather than deleted,
//! and a duplicate is merged into its survivor, which takes over its contacts and
//! opportunities (so stage history, keyed by opportunity, stays intact).
mod editing;
mod listing;
mod merge;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    crm_account_contacts, crm_accounts, crm_opportunities,
    enums::{AccountContactLinkSource, AccountContactLinkStatus, CrmAccountStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
    sea_query::Expr,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub use self::{editing::*, listing::*, merge::*};
use crate::kernel::page::{decode_cursor, encode_cursor, micros, parse_micros};
use crate::kernel::{
    Actor, Page,
    checks::{Checks, MAX_NAME_CHARS, optional_text},
    sql::{Sql, count_rows, like_pattern},
};
use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::{DomainResult, FieldError},
};

/// An account as the rest of the app sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// Account id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Primary email domain, lowercase (drives contact suggestions).
    pub domain: Option<String>,
    /// Website URL.
    pub website: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Owning project member.
    pub owner_user_id: Option<Uuid>,
    /// active | archived | merged.
    pub status: CrmAccountStatus,
    /// The surviving account when merged.
    pub merged_into_id: Option<Uuid>,
    /// Free attributes (json object).
    pub attributes: Value,
    /// When it was archived.
    pub archived_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<crm_accounts::Model> for Account {
    fn from(m: crm_accounts::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            domain: m.domain,
            website: m.website,
            industry: m.industry,
            owner_user_id: m.owner_user_id,
            status: m.status,
            merged_into_id: m.merged_into_id,
            attributes: m.attributes,
            archived_at: m.archived_at.map(|t| t.with_timezone(&Utc)),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

/// Input of [`create_account`].
#[derive(Debug, Clone, Default)]
pub struct NewAccount {
    /// 1-200 characters.
    pub name: String,
    /// Email domain, e.g. `acme.com` (lowercased).
    pub domain: Option<String>,
    /// `http(s)://` URL.
    pub website: Option<String>,
    /// Industry, up to 120 characters.
    pub industry: Option<String>,
    /// A member of the project.
    pub owner_user_id: Option<Uuid>,
}

/// Input of [`update_account`]: `None` keeps a field, `Some(None)` clears a nullable one.
#[derive(Debug, Clone, Default)]
pub struct AccountPatch {
    /// New name.
    pub name: Option<String>,
    /// New domain.
    pub domain: Option<Option<String>>,
    /// New website.
    pub website: Option<Option<String>>,
    /// New industry.
    pub industry: Option<Option<String>>,
    /// New owner.
    pub owner_user_id: Option<Option<Uuid>>,
}

/// Listing filter (all given conditions must hold).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Exact status; `None` lists active and archived accounts (merged ones are history).
    pub status: Option<CrmAccountStatus>,
    /// Case-insensitive substring of the name or domain.
    pub text: Option<String>,
    /// Owner.
    pub owner_user_id: Option<Uuid>,
}

/// Listing order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AccountOrder {
    /// By name, A-Z (case-insensitive).
    #[default]
    Name,
    /// Most recently changed first.
    UpdatedAt,
}

/// A keyset position in an account listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountCursor {
    /// After this (name, id) in [`AccountOrder::Name`].
    Name {
        /// Name of the last row seen.
        name: String,
        /// Its id.
        id: Uuid,
    },
    /// After this (updated_at, id) in [`AccountOrder::UpdatedAt`].
    UpdatedAt {
        /// updated_at of the last row seen.
        at: DateTime<Utc>,
        /// Its id.
        id: Uuid,
    },
}

impl AccountCursor {
    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        // The id goes first: names may contain the separator, uuids cannot.
        match self {
            Self::Name { name, id } => encode_cursor(&["n", &id.to_string(), name]),
            Self::UpdatedAt { at, id } => {
                encode_cursor(&["u", &id.to_string(), &micros(Some(*at))])
            }
        }
    }

    /// Reads a string made by [`AccountCursor::encode`]; `None` for anything else.
    pub fn decode(cursor: &str) -> Option<Self> {
        let [kind, id, value] = decode_cursor::<3>(cursor)?;
        let id = Uuid::parse_str(&id).ok()?;
        match kind.as_str() {
            "n" => Some(Self::Name { name: value, id }),
            "u" => Some(Self::UpdatedAt {
                at: parse_micros(&value)??,
                id,
            }),
            _ => None,
        }
    }
}

impl Account {
    /// Its position in a listing in `order`.
    pub fn cursor(&self, order: AccountOrder) -> AccountCursor {
        match order {
            AccountOrder::Name => AccountCursor::Name {
                name: self.name.clone(),
                id: self.id,
            },
            AccountOrder::UpdatedAt => AccountCursor::UpdatedAt {
                at: self.updated_at,
                id: self.id,
            },
        }
    }
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The surviving account, after the merge.
    pub target: Account,
    /// Contact links taken over (moved or folded into the target's own link).
    pub moved_contacts: u64,
    /// Opportunities moved to the target.
    pub moved_opportunities: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lowercased_and_checked() {
        assert_eq!(
            check_domain(" Acme.COM. ").ok(),
            Some("acme.com".to_owned())
        );
        assert_eq!(
            check_domain("mail.acme-corp.co.uk").ok(),
            Some("mail.acme-corp.co.uk".to_owned())
        );
        for bad in [
            "acme",
            "-acme.com",
            "acme..com",
            "ac me.com",
            "@acme.com",
            "1.2.3.4",
            "",
        ] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn websites_need_an_http_scheme_and_a_host() {
        assert!(check_website("https://acme.com/about").is_ok());
        assert!(check_website("acme.com").is_err());
        assert!(check_website("https://").is_err());
        assert!(check_website("https://acme .com").is_err());
    }

    #[test]
    fn account_cursors_round_trip() {
        let id = Uuid::new_v4();
        for cursor in [
            AccountCursor::Name {
                name: "a|b corp".to_owned(),
                id,
            },
            AccountCursor::UpdatedAt {
                at: DateTime::from_timestamp_micros(1_736_154_000_123_456).unwrap_or_default(),
                id,
            },
        ] {
            assert_eq!(AccountCursor::decode(&cursor.encode()), Some(cursor));
        }
        assert_eq!(AccountCursor::decode("nonsense"), None);
    }
}
