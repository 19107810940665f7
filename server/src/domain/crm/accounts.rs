//! CRM accounts: the companies a project sells to. Accounts are archived rather than deleted,
//! and a duplicate is merged into its survivor, which takes over its contacts and
//! opportunities (so stage history, keyed by opportunity, stays intact).
use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
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
        let raw = match self {
            Self::Name { name, id } => format!("n|{id}|{name}"),
            Self::UpdatedAt { at, id } => format!("u|{id}|{}", at.timestamp_micros()),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a string made by [`AccountCursor::encode`]; `None` for anything else.
    pub fn decode(cursor: &str) -> Option<Self> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
        let (kind, rest) = raw.split_once('|')?;
        let (id, value) = rest.split_once('|')?;
        let id = Uuid::parse_str(id).ok()?;
        match kind {
            "n" => Some(Self::Name {
                name: value.to_owned(),
                id,
            }),
            "u" => Some(Self::UpdatedAt {
                at: DateTime::from_timestamp_micros(value.parse().ok()?)?,
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

const MAX_INDUSTRY_CHARS: usize = 120;
const MAX_WEBSITE_CHARS: usize = 300;

/// Checks an email domain and returns it lowercased: dot-separated labels of letters, digits
/// and inner hyphens, at least two labels, at most 253 characters.
pub fn check_domain(raw: &str) -> Result<String, FieldError> {
    let domain = raw.trim().trim_end_matches('.').to_lowercase();
    let bad = || FieldError::new("domain", "use a domain like acme.com");
    if domain.is_empty() || domain.len() > 253 {
        return Err(bad());
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Err(bad());
    }
    for label in &labels {
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(bad());
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    Ok(domain)
}

fn check_website(raw: &str) -> Result<String, FieldError> {
    let url = raw.trim();
    let has_host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !has_host || url.chars().count() > MAX_WEBSITE_CHARS || url.chars().any(char::is_whitespace)
    {
        return Err(FieldError::new(
            "website",
            "use an http(s):// address of at most 300 characters",
        ));
    }
    Ok(url.to_owned())
}

fn optional_domain(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => check_domain(d).map(Some),
        None => Ok(None),
    }
}

fn optional_website(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => check_website(w).map(Some),
        None => Ok(None),
    }
}

async fn check_owner<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    owner: Option<Uuid>,
) -> DomainResult<()> {
    if let Some(owner) = owner
        && !scope.has_member(db, owner).await?
    {
        checks.fail("ownerUserId", "must be a member of this project");
    }
    Ok(())
}

/// The account `id` of the scope, locked for update when `lock` is set.
pub(crate) async fn find<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> DomainResult<crm_accounts::Model> {
    let mut query =
        crm_accounts::Entity::find_by_id(id).filter(scope.filter_for::<crm_accounts::Entity>());
    if lock {
        query = query.lock_exclusive();
    }
    query.one(db).await?.ok_or(DomainError::NotFound("account"))
}

fn merged_conflict() -> DomainError {
    DomainError::Conflict("This account was merged into another account".to_owned())
}

/// Creates an account and records `crm.account.created`.
pub async fn create_account(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewAccount,
) -> DomainResult<Account> {
    let mut checks = Checks::default();
    // A failed check leaves a default behind, which finish() then refuses.
    let name = checks
        .take(crate::kernel::checks::required_text(
            "name",
            &input.name,
            MAX_NAME_CHARS,
        ))
        .unwrap_or_default();
    let domain = checks
        .take(optional_domain(input.domain.as_deref()))
        .flatten();
    let website = checks
        .take(optional_website(input.website.as_deref()))
        .flatten();
    let industry = checks
        .take(optional_text(
            "industry",
            input.industry.as_deref(),
            MAX_INDUSTRY_CHARS,
        ))
        .flatten();
    check_owner(db, scope, &mut checks, input.owner_user_id).await?;
    checks.finish()?;

    let txn = db.begin().await?;
    let now = Utc::now();
    let row = crm_accounts::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        name: Set(name),
        domain: Set(domain),
        website: Set(website),
        industry: Set(industry),
        owner_user_id: Set(input.owner_user_id),
        status: Set(CrmAccountStatus::Active),
        merged_into_id: Set(None),
        attributes: Set(json!({})),
        archived_at: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.account.created",
            target_kind: Some("account"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("account", row.id)],
            meta: json!({ "name": row.name, "domain": row.domain }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// Changes the given fields of a live (not merged) account.
pub async fn update_account(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: AccountPatch,
) -> DomainResult<Account> {
    let mut checks = Checks::default();
    let name = patch.name.as_deref().map(|n| {
        checks.take(crate::kernel::checks::required_text(
            "name",
            n,
            MAX_NAME_CHARS,
        ))
    });
    let domain = patch
        .domain
        .as_ref()
        .map(|d| checks.take(optional_domain(d.as_deref())));
    let website = patch
        .website
        .as_ref()
        .map(|w| checks.take(optional_website(w.as_deref())));
    let industry = patch
        .industry
        .as_ref()
        .map(|i| checks.take(optional_text("industry", i.as_deref(), MAX_INDUSTRY_CHARS)));
    if let Some(owner) = patch.owner_user_id {
        check_owner(db, scope, &mut checks, owner).await?;
    }
    checks.finish()?;

    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if row.status == CrmAccountStatus::Merged {
        return Err(merged_conflict());
    }
    let mut active = row.into_active_model();
    if let Some(Some(name)) = name {
        active.name = Set(name);
    }
    if let Some(Some(domain)) = domain {
        active.domain = Set(domain);
    }
    if let Some(Some(website)) = website {
        active.website = Set(website);
    }
    if let Some(Some(industry)) = industry {
        active.industry = Set(industry);
    }
    if let Some(owner) = patch.owner_user_id {
        active.owner_user_id = Set(owner);
    }
    let row = if active.is_changed() {
        let changed: Vec<&str> = [
            ("name", active.name.is_set()),
            ("domain", active.domain.is_set()),
            ("website", active.website.is_set()),
            ("industry", active.industry.is_set()),
            ("ownerUserId", active.owner_user_id.is_set()),
        ]
        .into_iter()
        .filter_map(|(field, set)| set.then_some(field))
        .collect();
        let row = active.update(&txn).await?;
        audit::record(
            &txn,
            AuditEntry {
                scope: Some(*scope),
                actor: actor.audit.clone(),
                action: "crm.account.updated",
                target_kind: Some("account"),
                target_id: Some(row.id.to_string()),
                evidence: vec![EvidenceRef::new("account", row.id)],
                meta: json!({ "fields": changed, "name": row.name }),
            },
        )
        .await?;
        row
    } else {
        find(&txn, scope, id, false).await?
    };
    txn.commit().await?;
    Ok(row.into())
}

/// Archives an account (a no-op when it already is) and records `crm.account.archived`.
pub async fn archive_account(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Account> {
    set_archived(db, scope, actor, id, true).await
}

/// Brings an archived account back (a no-op when it is active) and records
/// `crm.account.unarchived`.
pub async fn unarchive_account(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
) -> DomainResult<Account> {
    set_archived(db, scope, actor, id, false).await
}

async fn set_archived(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    archived: bool,
) -> DomainResult<Account> {
    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    let (from, to, action) = if archived {
        (
            CrmAccountStatus::Active,
            CrmAccountStatus::Archived,
            "crm.account.archived",
        )
    } else {
        (
            CrmAccountStatus::Archived,
            CrmAccountStatus::Active,
            "crm.account.unarchived",
        )
    };
    if row.status == CrmAccountStatus::Merged {
        return Err(merged_conflict());
    }
    if row.status != from {
        return Ok(row.into());
    }
    let mut active = row.into_active_model();
    active.status = Set(to);
    active.archived_at = Set(archived.then(|| Utc::now().into()));
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("account"),
            target_id: Some(row.id.to_string()),
            evidence: vec![EvidenceRef::new("account", row.id)],
            meta: json!({ "name": row.name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(row.into())
}

/// One account of the scope (merged ones too: they point at their survivor).
pub async fn get_account<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    id: Uuid,
) -> DomainResult<Account> {
    Ok(find(db, scope, id, false).await?.into())
}

/// The accounts of the scope among `ids` (merged ones too; ids of other projects are left
/// out), in one query: what listings resolve their rows' accounts through.
pub async fn accounts_by_ids<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    ids: &[Uuid],
) -> DomainResult<Vec<Account>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = scope
        .rows::<crm_accounts::Entity>()
        .filter(crm_accounts::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Accounts matching `filter` in `order`, `first` at a time after `after`.
pub async fn list_accounts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    filter: &AccountFilter,
    order: AccountOrder,
    first: u64,
    after: Option<&AccountCursor>,
) -> DomainResult<Page<Account>> {
    let mut sql = Sql::scoped(scope, "a");
    match filter.status {
        Some(status) => {
            let p = sql.param(status_str(status));
            sql.and(format!("a.status = {p}"));
        }
        None => sql.and("a.status <> 'merged'".to_owned()),
    }
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let p = sql.param(like_pattern(text));
        sql.and(format!("(a.name ilike {p} or a.domain ilike {p})"));
    }
    if let Some(owner) = filter.owner_user_id {
        let p = sql.param(owner);
        sql.and(format!("a.owner_user_id = {p}"));
    }
    let total_count = count_rows(db, "crm_accounts a", &sql).await?;
    match (order, after) {
        (_, None) => {}
        (AccountOrder::Name, Some(AccountCursor::Name { name, id })) => {
            let n = sql.param(name.clone());
            let i = sql.param(*id);
            // lower() on both sides: Rust's lowercasing may differ from the database's.
            sql.and(format!("(lower(a.name), a.id) > (lower({n}), {i})"));
        }
        (AccountOrder::UpdatedAt, Some(AccountCursor::UpdatedAt { at, id })) => {
            let t = sql.param(*at);
            let i = sql.param(*id);
            sql.and(format!("(a.updated_at, a.id) < ({t}, {i})"));
        }
        _ => {
            return Err(DomainError::Validation(vec![FieldError::new(
                "after",
                "is not a cursor of this ordering",
            )]));
        }
    }
    let order_by = match order {
        AccountOrder::Name => "lower(a.name) asc, a.id asc",
        AccountOrder::UpdatedAt => "a.updated_at desc, a.id desc",
    };
    let limit = sql.param(i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX));
    let rows = crm_accounts::Entity::find()
        .from_raw_sql(Statement::from_sql_and_values(
            db.get_database_backend(),
            format!(
                "select a.* from crm_accounts a where {} order by {order_by} limit {limit}",
                sql.where_clause()
            ),
            sql.values,
        ))
        .all(db)
        .await?;
    Ok(Page::from_rows(rows, first, total_count))
}

fn status_str(status: CrmAccountStatus) -> &'static str {
    match status {
        CrmAccountStatus::Active => "active",
        CrmAccountStatus::Archived => "archived",
        CrmAccountStatus::Merged => "merged",
    }
}

/// How strongly a link status binds a contact: a person's confirmation beats a person's
/// rejection, which beats the system's suggestion.
fn link_rank(status: AccountContactLinkStatus) -> u8 {
    match status {
        AccountContactLinkStatus::Confirmed => 2,
        AccountContactLinkStatus::Rejected => 1,
        AccountContactLinkStatus::Suggested => 0,
    }
}

/// Merges `source_id` into `target_id`: the source's contact links and opportunities move to
/// the target (where both accounts link the same contact, the stronger decision survives and a
/// contact confirmed on the target stays so), empty target fields are filled from the source,
/// and the source becomes `merged` pointing at the target. Records `crm.account.merged`.
pub async fn merge_accounts(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    source_id: Uuid,
    target_id: Uuid,
) -> DomainResult<MergeOutcome> {
    if source_id == target_id {
        return Err(DomainError::Validation(vec![FieldError::new(
            "targetId",
            "must be another account than the source",
        )]));
    }
    let txn = db.begin().await?;
    // Both rows locked in id order, so two merges of the same pair cannot deadlock.
    let locked = scope
        .rows::<crm_accounts::Entity>()
        .filter(crm_accounts::Column::Id.is_in([source_id, target_id]))
        .order_by_asc(crm_accounts::Column::Id)
        .lock_exclusive()
        .all(&txn)
        .await?;
    let source = locked
        .iter()
        .find(|a| a.id == source_id)
        .cloned()
        .ok_or(DomainError::NotFound("account"))?;
    let target = locked
        .iter()
        .find(|a| a.id == target_id)
        .cloned()
        .ok_or(DomainError::NotFound("account"))?;
    if source.status == CrmAccountStatus::Merged || target.status == CrmAccountStatus::Merged {
        return Err(merged_conflict());
    }
    if target.status == CrmAccountStatus::Archived {
        return Err(DomainError::Conflict(
            "Unarchive the target account before merging into it".to_owned(),
        ));
    }

    let moved_contacts = merge_contact_links(&txn, scope, source_id, target_id).await?;
    let moved_opportunities = crm_opportunities::Entity::update_many()
        .col_expr(crm_opportunities::Column::AccountId, Expr::value(target_id))
        .filter(scope.filter_for::<crm_opportunities::Entity>())
        .filter(crm_opportunities::Column::AccountId.eq(source_id))
        .exec(&txn)
        .await?
        .rows_affected;
    // Signals and live actions follow the customer; health history and radar items stay with
    // the merged account as the record of what was seen of it.
    for sql in [
        "update signals set account_id = $3 \
         where project_id = $1 and account_scope_id = $2 and account_id = $4",
        "update next_best_actions set account_id = $3 \
         where project_id = $1 and account_scope_id = $2 and account_id = $4 \
           and status in ('open', 'accepted')",
    ] {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            txn.get_database_backend(),
            sql,
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                target_id.into(),
                source_id.into(),
            ],
        ))
        .await?;
    }
    crate::domain::signals::enqueue_refresh(&txn, scope, &[target_id]).await?;
    // Accounts merged into the source earlier now point at the survivor directly.
    crm_accounts::Entity::update_many()
        .col_expr(crm_accounts::Column::MergedIntoId, Expr::value(target_id))
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .filter(crm_accounts::Column::MergedIntoId.eq(source_id))
        .exec(&txn)
        .await?;

    let source_name = source.name.clone();
    let mut survivor = target.clone().into_active_model();
    if target.domain.is_none() && source.domain.is_some() {
        survivor.domain = Set(source.domain.clone());
    }
    if target.website.is_none() && source.website.is_some() {
        survivor.website = Set(source.website.clone());
    }
    if target.industry.is_none() && source.industry.is_some() {
        survivor.industry = Set(source.industry.clone());
    }
    if target.owner_user_id.is_none() && source.owner_user_id.is_some() {
        survivor.owner_user_id = Set(source.owner_user_id);
    }
    let target = if survivor.is_changed() {
        survivor.update(&txn).await?
    } else {
        // Touch it anyway: its contacts and opportunities changed.
        let mut touched = target.into_active_model();
        touched.updated_at = Set(Utc::now().into());
        touched.update(&txn).await?
    };

    let mut merged = source.into_active_model();
    merged.status = Set(CrmAccountStatus::Merged);
    merged.merged_into_id = Set(Some(target_id));
    merged.update(&txn).await?;

    audit::record(
        &txn,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action: "crm.account.merged",
            target_kind: Some("account"),
            target_id: Some(target_id.to_string()),
            evidence: vec![
                EvidenceRef::new("account", source_id),
                EvidenceRef::new("account", target_id),
            ],
            meta: json!({
                "sourceId": source_id,
                "sourceName": source_name,
                "movedContacts": moved_contacts,
                "movedOpportunities": moved_opportunities,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(MergeOutcome {
        target: target.into(),
        moved_contacts,
        moved_opportunities,
    })
}

async fn merge_contact_links<C: ConnectionTrait>(
    txn: &C,
    scope: &Scope,
    source_id: Uuid,
    target_id: Uuid,
) -> DomainResult<u64> {
    let links = scope
        .rows::<crm_account_contacts::Entity>()
        .filter(crm_account_contacts::Column::AccountId.is_in([source_id, target_id]))
        .order_by_asc(crm_account_contacts::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    let (source_links, target_links): (Vec<_>, Vec<_>) =
        links.into_iter().partition(|l| l.account_id == source_id);
    let mut target_has_primary = target_links.iter().any(|l| l.is_primary);
    let by_contact: HashMap<String, crm_account_contacts::Model> = target_links
        .into_iter()
        .map(|l| (l.contact_global_id.clone(), l))
        .collect();
    let mut moved = 0;
    for link in source_links {
        moved += 1;
        match by_contact.get(&link.contact_global_id) {
            Some(existing) => {
                // The source row goes first: two confirmed rows for one contact would break
                // the one-confirmed-account index.
                crm_account_contacts::Entity::delete_by_id(link.id)
                    .exec(txn)
                    .await?;
                let stronger = link_rank(link.link_status) > link_rank(existing.link_status);
                let needs_role = existing.role.is_none() && link.role.is_some();
                if stronger || needs_role {
                    let mut kept = existing.clone().into_active_model();
                    if stronger {
                        kept.link_status = Set(link.link_status);
                        kept.decided_by = Set(link.decided_by);
                        kept.decided_at = Set(link.decided_at);
                    }
                    if needs_role {
                        kept.role = Set(link.role.clone());
                    }
                    kept.update(txn).await?;
                }
            }
            None => {
                let primary = link.is_primary && !target_has_primary;
                target_has_primary |= primary;
                let mut moved_link = link.into_active_model();
                moved_link.account_id = Set(target_id);
                moved_link.link_source = Set(AccountContactLinkSource::Merge);
                moved_link.is_primary = Set(primary);
                moved_link.update(txn).await?;
            }
        }
    }
    Ok(moved)
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
