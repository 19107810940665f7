//! Demo seed (demo data, not a product path): after the demo project's first sync, accounts
//! for the companies most of its Chatwoot contacts name, with their contacts suggested and
//! confirmed through the same services people use. Only some companies get an account, so the
//! demo also shows contacts still waiting for one.
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{
    domain::crm::{
        accounts::{self, NewAccount},
        contacts,
    },
    kernel::Actor,
};
use crate::{kernel::Scope, kernel::error::DomainResult};

/// What the seed created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCrm {
    /// Accounts created.
    pub accounts: u64,
    /// Contact links confirmed.
    pub linked_contacts: u64,
}

/// Creates accounts for the `companies` companies with the most contacts (by the contacts'
/// `company_name` attribute, domain from their most common email domain) and confirms the
/// suggested contacts. Does nothing when the project already has accounts.
pub async fn seed_demo_accounts(
    db: &DatabaseConnection,
    scope: &Scope,
    companies: u64,
) -> DomainResult<DemoCrm> {
    let mut seeded = DemoCrm::default();
    let existing = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select count(*) as n from crm_accounts where project_id = $1",
            [scope.project_id().into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    if existing > 0 {
        return Ok(seeded);
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select c.data #>> '{additional_attributes,company_name}' as company, \
                    mode() within group (order by lower(split_part(c.email, '@', 2))) as domain \
             from cw_contacts c \
             where c.project_id = $1 and c.account_scope_id = $2 \
               and coalesce(c.data #>> '{additional_attributes,company_name}', '') <> '' \
             group by 1 order by count(*) desc, 1 limit $3",
            [
                scope.project_id().into(),
                scope.account_scope_id().into(),
                i64::try_from(companies).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    let actor = Actor::system("demo-seed");
    // The project's owner owns the accounts, so actions raised on them have an assignee.
    let owner = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "select user_id from project_members where project_id = $1 and role = 'owner' \
             order by created_at limit 1",
            [scope.project_id().into()],
        ))
        .await?
        .map(|r| r.try_get::<uuid::Uuid>("", "user_id"))
        .transpose()?;
    for row in rows {
        let name: String = row.try_get("", "company")?;
        let domain: Option<String> = row
            .try_get::<Option<String>>("", "domain")?
            .filter(|d| accounts::check_domain(d).is_ok());
        let account = accounts::create_account(
            db,
            scope,
            &actor,
            NewAccount {
                name,
                domain,
                owner_user_id: owner,
                ..NewAccount::default()
            },
        )
        .await?;
        seeded.accounts += 1;
        for link in contacts::suggest_contacts(db, scope, account.id).await? {
            contacts::confirm_link(db, scope, &actor, link.id).await?;
            seeded.linked_contacts += 1;
        }
    }
    Ok(seeded)
}
