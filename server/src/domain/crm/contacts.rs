//! Links between Chatwoot contacts (`cwc:` ids) and CRM accounts. The system suggests links
//! from email domains and Chatwoot company attributes; people confirm or reject them. A
//! contact has at most one confirmed account, and a rejected link is never suggested again.
use chrono::{DateTime, Utc};
use entity::{
    crm_account_contacts, crm_accounts, cw_contacts,
    enums::{AccountContactLinkSource, AccountContactLinkStatus, CrmAccountStatus},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::kernel::{
    DomainError, Scope,
    audit::{self, AuditEntry, EvidenceRef},
    error::DomainResult,
};
use crate::{
    domain::{
        crm::accounts::{self, Account},
        signals::enqueue_refresh,
    },
    kernel::{Actor, checks::is_global_id_of, sql::violates_unique},
};

/// A contact's link to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactLink {
    /// Link id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The contact's `cwc:` id.
    pub contact_global_id: String,
    /// suggested | confirmed | rejected.
    pub status: AccountContactLinkStatus,
    /// How it was found.
    pub source: AccountContactLinkSource,
    /// The contact's role at the account.
    pub role: Option<String>,
    /// The account's primary contact.
    pub is_primary: bool,
    /// Who confirmed or rejected it.
    pub decided_by: Option<Uuid>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<crm_account_contacts::Model> for ContactLink {
    fn from(m: crm_account_contacts::Model) -> Self {
        Self {
            id: m.id,
            account_id: m.account_id,
            contact_global_id: m.contact_global_id,
            status: m.link_status,
            source: m.link_source,
            role: m.role,
            is_primary: m.is_primary,
            decided_by: m.decided_by,
            decided_at: m.decided_at.map(|t| t.with_timezone(&Utc)),
            created_at: m.created_at.with_timezone(&Utc),
            updated_at: m.updated_at.with_timezone(&Utc),
        }
    }
}

const MAX_ROLE_CHARS: usize = 120;
const ONE_CONFIRMED_INDEX: &str = "crm_account_contacts_one_confirmed_account_idx";

fn already_confirmed() -> DomainError {
    DomainError::Conflict("This contact is already confirmed on another account".to_owned())
}

fn status_order(status: AccountContactLinkStatus) -> u8 {
    match status {
        AccountContactLinkStatus::Confirmed => 0,
        AccountContactLinkStatus::Suggested => 1,
        AccountContactLinkStatus::Rejected => 2,
    }
}

/// Suggests every contact of the project whose email domain is the account's domain or whose
/// Chatwoot company attribute (`company_name` or `company`, in `additional_attributes` or
/// `custom_attributes`) is the account's name, ignoring case. Contacts already linked to the
/// account in any state (rejected included) or confirmed on another account are left alone,
/// so re-running creates nothing new. Returns the new suggestions.
pub async fn suggest_contacts(
    db: &DatabaseConnection,
    scope: &Scope,
    account_id: Uuid,
) -> DomainResult<Vec<ContactLink>> {
    let txn = db.begin().await?;
    // A share lock: a merge of this account waits for us (or we see its result), so no
    // suggestion is left behind on a merged account.
    let account = crm_accounts::Entity::find_by_id(account_id)
        .filter(scope.filter_for::<crm_accounts::Entity>())
        .lock_shared()
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("account"))?;
    if account.status == CrmAccountStatus::Merged {
        return Err(DomainError::Conflict(
            "This account was merged into another account".to_owned(),
        ));
    }
    let statement = Statement::from_sql_and_values(
        txn.get_database_backend(),
        r#"
        with candidates as (
          select c.id,
                 lower(btrim(substring(c.email from '@([^@]*)$'))) as email_domain,
                 array[
                   lower(btrim(c.data -> 'additional_attributes' ->> 'company_name')),
                   lower(btrim(c.data -> 'additional_attributes' ->> 'company')),
                   lower(btrim(c.custom_attributes ->> 'company_name')),
                   lower(btrim(c.custom_attributes ->> 'company'))
                 ] as companies
          from cw_contacts c
          where c.project_id = $1 and c.account_scope_id = $2
        )
        insert into crm_account_contacts
          (project_id, account_scope_id, account_id, contact_global_id, link_status, link_source)
        select $1, $2, $3, k.id, 'suggested',
               case when k.email_domain = $4::text then 'email_domain' else 'company_attribute' end
        from candidates k
        where (k.email_domain = $4::text or lower(btrim($5::text)) = any (k.companies))
          and not exists (
            select 1 from crm_account_contacts l
            where l.project_id = $1 and l.contact_global_id = k.id and l.link_status = 'confirmed')
        on conflict (account_id, contact_global_id) do nothing
        returning *
        "#,
        [
            scope.project_id().into(),
            scope.account_scope_id().into(),
            account.id.into(),
            account.domain.clone().into(),
            account.name.clone().into(),
        ],
    );
    let mut created: Vec<ContactLink> = crm_account_contacts::Entity::find()
        .from_raw_sql(statement)
        .all(&txn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    txn.commit().await?;
    created.sort_by(|a, b| a.contact_global_id.cmp(&b.contact_global_id));
    Ok(created)
}

async fn check_contact<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_global_id: &str,
) -> DomainResult<()> {
    if !is_global_id_of(scope.project_id(), "cwc", contact_global_id) {
        return Err(DomainError::NotFound("contact"));
    }
    let found = cw_contacts::Entity::find_by_id(contact_global_id.to_owned())
        .filter(scope.filter_for::<cw_contacts::Entity>())
        .count(db)
        .await?;
    if found == 0 {
        return Err(DomainError::NotFound("contact"));
    }
    Ok(())
}

async fn confirmed_elsewhere<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_global_id: &str,
    account_id: Uuid,
) -> DomainResult<bool> {
    let n = scope
        .rows::<crm_account_contacts::Entity>()
        .filter(crm_account_contacts::Column::ContactGlobalId.eq(contact_global_id))
        .filter(crm_account_contacts::Column::LinkStatus.eq(AccountContactLinkStatus::Confirmed))
        .filter(crm_account_contacts::Column::AccountId.ne(account_id))
        .count(db)
        .await?;
    Ok(n > 0)
}

/// Confirms a link typed in by a person (creating it, or confirming an existing suggestion or
/// rejection). Conflict when the contact is confirmed on another account.
pub async fn link_contact(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    account_id: Uuid,
    contact_global_id: &str,
    role: Option<&str>,
) -> DomainResult<ContactLink> {
    let role = crate::kernel::checks::optional_text("role", role, MAX_ROLE_CHARS)
        .map_err(|e| DomainError::Validation(vec![e]))?;
    let contact_global_id = contact_global_id.trim();
    let txn = db.begin().await?;
    let account = accounts::find(&txn, scope, account_id, true).await?;
    if account.status == CrmAccountStatus::Merged {
        return Err(DomainError::Conflict(
            "This account was merged into another account".to_owned(),
        ));
    }
    check_contact(&txn, scope, contact_global_id).await?;
    if confirmed_elsewhere(&txn, scope, contact_global_id, account_id).await? {
        return Err(already_confirmed());
    }
    let existing = scope
        .rows::<crm_account_contacts::Entity>()
        .filter(crm_account_contacts::Column::AccountId.eq(account_id))
        .filter(crm_account_contacts::Column::ContactGlobalId.eq(contact_global_id))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let now = Utc::now();
    let written = match existing {
        Some(link)
            if link.link_status == AccountContactLinkStatus::Confirmed
                && (role.is_none() || role == link.role) =>
        {
            return Ok(link.into());
        }
        Some(link) => {
            let mut active = link.into_active_model();
            active.link_status = Set(AccountContactLinkStatus::Confirmed);
            active.decided_by = Set(actor.user_id);
            active.decided_at = Set(Some(now.into()));
            if role.is_some() {
                active.role = Set(role);
            }
            active.update(&txn).await
        }
        None => {
            crm_account_contacts::ActiveModel {
                id: Set(Uuid::new_v4()),
                project_id: Set(scope.project_id()),
                account_scope_id: Set(scope.account_scope_id()),
                account_id: Set(account_id),
                contact_global_id: Set(contact_global_id.to_owned()),
                link_status: Set(AccountContactLinkStatus::Confirmed),
                link_source: Set(AccountContactLinkSource::Manual),
                role: Set(role),
                is_primary: Set(false),
                decided_by: Set(actor.user_id),
                decided_at: Set(Some(now.into())),
                created_at: Set(now.into()),
                updated_at: Set(now.into()),
            }
            .insert(&txn)
            .await
        }
    };
    let link = match written {
        Ok(link) => link,
        Err(e) if violates_unique(&e, ONE_CONFIRMED_INDEX) => return Err(already_confirmed()),
        Err(e) if violates_unique(&e, "crm_account_contacts_account_id_contact_global_id_key") => {
            return Err(DomainError::Conflict(
                "This contact was linked at the same time; reload and try again".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    record_decision(&txn, scope, actor, &link).await?;
    txn.commit().await?;
    Ok(link.into())
}

/// Confirms a suggested (or rejected) link. Conflict when the contact is confirmed on another
/// account.
pub async fn confirm_link(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    link_id: Uuid,
) -> DomainResult<ContactLink> {
    decide(
        db,
        scope,
        actor,
        link_id,
        AccountContactLinkStatus::Confirmed,
    )
    .await
}

/// Rejects a link (a confirmed one too); a rejected link is never suggested again.
pub async fn reject_link(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    link_id: Uuid,
) -> DomainResult<ContactLink> {
    decide(
        db,
        scope,
        actor,
        link_id,
        AccountContactLinkStatus::Rejected,
    )
    .await
}

async fn find_link<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    link_id: Uuid,
) -> DomainResult<crm_account_contacts::Model> {
    crm_account_contacts::Entity::find_by_id(link_id)
        .filter(scope.filter_for::<crm_account_contacts::Entity>())
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("contact link"))
}

async fn decide(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    link_id: Uuid,
    status: AccountContactLinkStatus,
) -> DomainResult<ContactLink> {
    let txn = db.begin().await?;
    let link = find_link(&txn, scope, link_id).await?;
    if link.link_status == status {
        return Ok(link.into());
    }
    if status == AccountContactLinkStatus::Confirmed
        && confirmed_elsewhere(&txn, scope, &link.contact_global_id, link.account_id).await?
    {
        return Err(already_confirmed());
    }
    let mut active = link.into_active_model();
    active.link_status = Set(status);
    active.decided_by = Set(actor.user_id);
    active.decided_at = Set(Some(Utc::now().into()));
    if status == AccountContactLinkStatus::Rejected {
        active.is_primary = Set(false);
    }
    let link = match active.update(&txn).await {
        Ok(link) => link,
        Err(e) if violates_unique(&e, ONE_CONFIRMED_INDEX) => return Err(already_confirmed()),
        Err(e) => return Err(e.into()),
    };
    record_decision(&txn, scope, actor, &link).await?;
    txn.commit().await?;
    Ok(link.into())
}

async fn record_decision<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    actor: &Actor,
    link: &crm_account_contacts::Model,
) -> DomainResult<()> {
    let action = match link.link_status {
        AccountContactLinkStatus::Rejected => "crm.contact_link.rejected",
        _ => "crm.contact_link.confirmed",
    };
    if link.link_status == AccountContactLinkStatus::Confirmed {
        // The contact's signals detected before the link now concern this account, and its
        // health changes with them.
        crate::domain::signals::detection::attach_contact_signals(
            db,
            scope,
            link.account_id,
            &link.contact_global_id,
        )
        .await?;
        enqueue_refresh(db, scope, &[link.account_id]).await?;
    }
    audit::record(
        db,
        AuditEntry {
            scope: Some(*scope),
            actor: actor.audit.clone(),
            action,
            target_kind: Some("account_contact"),
            target_id: Some(link.id.to_string()),
            evidence: vec![
                EvidenceRef::new("contact", &link.contact_global_id),
                EvidenceRef::new("account", link.account_id),
            ],
            meta: json!({ "accountId": link.account_id, "contactId": link.contact_global_id }),
        },
    )
    .await
}

/// The account's contact links, confirmed first, then suggested, then rejected (each oldest
/// first); `status` keeps only one state.
pub async fn account_contacts<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    account_id: Uuid,
    status: Option<AccountContactLinkStatus>,
) -> DomainResult<Vec<ContactLink>> {
    accounts::find(db, scope, account_id, false).await?;
    let mut query = scope
        .rows::<crm_account_contacts::Entity>()
        .filter(crm_account_contacts::Column::AccountId.eq(account_id));
    if let Some(status) = status {
        query = query.filter(crm_account_contacts::Column::LinkStatus.eq(status));
    }
    let mut links: Vec<ContactLink> = query.all(db).await?.into_iter().map(Into::into).collect();
    links.sort_by(|a, b| {
        status_order(a.status)
            .cmp(&status_order(b.status))
            .then(a.created_at.cmp(&b.created_at))
            .then(a.contact_global_id.cmp(&b.contact_global_id))
    });
    Ok(links)
}

/// The account a contact is confirmed on, if any.
pub async fn account_for_contact<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    contact_global_id: &str,
) -> DomainResult<Option<Account>> {
    let link = scope
        .rows::<crm_account_contacts::Entity>()
        .filter(crm_account_contacts::Column::ContactGlobalId.eq(contact_global_id))
        .filter(crm_account_contacts::Column::LinkStatus.eq(AccountContactLinkStatus::Confirmed))
        .one(db)
        .await?;
    match link {
        Some(link) => Ok(Some(
            accounts::find(db, scope, link.account_id, false)
                .await?
                .into(),
        )),
        None => Ok(None),
    }
}
