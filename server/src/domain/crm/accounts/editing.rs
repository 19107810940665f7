//! Writing accounts: input checks, create, update, archive and unarchive.
use super::*;

pub(super) const MAX_INDUSTRY_CHARS: usize = 120;
pub(super) const MAX_WEBSITE_CHARS: usize = 300;

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

pub(super) fn check_website(raw: &str) -> Result<String, FieldError> {
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

pub(super) fn optional_domain(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => check_domain(d).map(Some),
        None => Ok(None),
    }
}

pub(super) fn optional_website(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    match raw.map(str::trim).filter(|w| !w.is_empty()) {
        Some(w) => check_website(w).map(Some),
        None => Ok(None),
    }
}

pub(super) async fn check_owner<C: ConnectionTrait>(
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

pub(super) fn merged_conflict() -> DomainError {
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

pub(super) async fn set_archived(
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
