//! Merging one account into another, with their contact links.
use super::*;

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

pub(super) async fn merge_contact_links<C: ConnectionTrait>(
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
