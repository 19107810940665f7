//! Writing offers: input checks, exact totals, links to accounts and opportunities, create
//! and update.
use super::*;

fn check_quantity(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value <= Decimal::ZERO {
        return Err(FieldError::new(field, "must be more than 0"));
    }
    if value.scale() > 4 {
        return Err(FieldError::new(field, "use at most four decimals"));
    }
    if value > max_quantity() {
        return Err(FieldError::new(field, "is too large"));
    }
    Ok(value)
}

fn check_price(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value < Decimal::ZERO {
        return Err(FieldError::new(field, "must be 0 or more"));
    }
    if value.scale() > 2 {
        return Err(FieldError::new(field, "use at most two decimals"));
    }
    if value > max_amount() {
        return Err(FieldError::new(field, "is too large"));
    }
    Ok(value.abs())
}

fn check_discount(field: &str, value: Decimal) -> Result<Decimal, FieldError> {
    let value = value.normalize();
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err(FieldError::new(field, "must be between 0 and 100"));
    }
    if value.scale() > 2 {
        return Err(FieldError::new(field, "use at most two decimals"));
    }
    Ok(value.abs())
}

fn check_items(checks: &mut Checks, items: &[NewOfferItem]) -> Vec<CheckedItem> {
    if items.len() > MAX_ITEMS {
        checks.fail("items", &format!("use at most {MAX_ITEMS} lines"));
        return Vec::new();
    }
    let mut checked = Vec::with_capacity(items.len());
    for (n, item) in items.iter().enumerate() {
        let field = |name: &str| format!("items[{n}].{name}");
        let name = checks.take(required_text(
            &field("name"),
            &item.name,
            MAX_ITEM_NAME_CHARS,
        ));
        let description = checks.take(optional_text(
            &field("description"),
            item.description.as_deref(),
            MAX_ITEM_DESCRIPTION_CHARS,
        ));
        let sku = checks.take(optional_text(
            &field("sku"),
            item.sku.as_deref(),
            MAX_SKU_CHARS,
        ));
        let quantity = checks.take(check_quantity(&field("quantity"), item.quantity));
        let unit_price = checks.take(check_price(&field("unitPrice"), item.unit_price));
        let discount_pct = checks.take(check_discount(&field("discountPct"), item.discount_pct));
        if let (
            Some(name),
            Some(description),
            Some(sku),
            Some(quantity),
            Some(unit_price),
            Some(discount_pct),
        ) = (name, description, sku, quantity, unit_price, discount_pct)
        {
            checked.push(CheckedItem {
                name,
                description,
                sku,
                amounts: LineAmounts {
                    quantity,
                    unit_price,
                    discount_pct,
                },
            });
        }
    }
    checked
}

/// The totals of lines that passed their checks (a failure is recorded in `checks`).
fn totals_of(checks: &mut Checks, items: &[CheckedItem]) -> Option<Totals> {
    let amounts: Vec<LineAmounts> = items.iter().map(|i| i.amounts).collect();
    match totals::totals(&amounts) {
        Ok(t) => Some(t),
        Err(TotalsError::LineTooLarge(n)) => {
            checks.fail(
                &format!("items[{n}]"),
                "the line total is too large (quantity x unit price)",
            );
            None
        }
        Err(TotalsError::SumTooLarge) => {
            checks.fail("items", "the offer total is too large");
            None
        }
    }
}

fn check_valid_until(checks: &mut Checks, valid_until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
    if let Some(at) = valid_until {
        if at <= now {
            checks.fail("validUntil", "must be in the future");
        } else if at > now + Duration::days(MAX_VALIDITY_DAYS) {
            checks.fail("validUntil", "must be within ten years");
        }
    }
}

/// The account, opportunity and recipient of an offer, resolved against the scope.
struct Links {
    account_id: Option<Uuid>,
    opportunity_id: Option<Uuid>,
    contact_global_id: Option<String>,
    opportunity_currency: Option<String>,
}

/// Resolves the offer's links. Ids of other projects are NotFound (nothing is revealed);
/// inconsistent combinations are validation failures in `checks`.
async fn resolve_links<C: ConnectionTrait>(
    db: &C,
    scope: &Scope,
    checks: &mut Checks,
    account_id: Option<Uuid>,
    opportunity_id: Option<Uuid>,
    contact: Option<&str>,
) -> DomainResult<Links> {
    let mut account = None;
    if let Some(id) = account_id {
        let row = crate::domain::crm::accounts::find(db, scope, id, false).await?;
        if row.status != CrmAccountStatus::Active {
            checks.fail(
                "accountId",
                "must be an active account (not archived or merged)",
            );
        }
        account = Some(row.id);
    }
    let mut opportunity = None;
    let mut opportunity_currency = None;
    if let Some(id) = opportunity_id {
        let row = crm_opportunities::Entity::find_by_id(id)
            .filter(scope.filter_for::<crm_opportunities::Entity>())
            .one(db)
            .await?
            .ok_or(DomainError::NotFound("opportunity"))?;
        match account {
            Some(a) if a != row.account_id => {
                checks.fail("opportunityId", "belongs to another account");
            }
            Some(_) => {}
            None => account = Some(row.account_id),
        }
        opportunity = Some(row.id);
        opportunity_currency = Some(row.currency);
    }
    if account.is_none() {
        checks.fail("accountId", "choose an account or an opportunity");
    }
    let contact = contact.map(str::trim).filter(|c| !c.is_empty());
    if let Some(contact) = contact {
        let exists = is_global_id_of(scope.project_id(), "cwc", contact)
            && cw_contacts::Entity::find_by_id(contact.to_owned())
                .filter(scope.filter_for::<cw_contacts::Entity>())
                .count(db)
                .await?
                > 0;
        if !exists {
            return Err(DomainError::NotFound("contact"));
        }
        if let Some(account) = account {
            let elsewhere = scope
                .rows::<crm_account_contacts::Entity>()
                .filter(crm_account_contacts::Column::ContactGlobalId.eq(contact))
                .filter(
                    crm_account_contacts::Column::LinkStatus
                        .eq(AccountContactLinkStatus::Confirmed),
                )
                .filter(crm_account_contacts::Column::AccountId.ne(account))
                .count(db)
                .await?;
            if elsewhere > 0 {
                checks.fail("contactId", "is confirmed on another account");
            }
        }
    }
    Ok(Links {
        account_id: account,
        opportunity_id: opportunity,
        contact_global_id: contact.map(str::to_owned),
        opportunity_currency,
    })
}

/// Creates a draft offer with its lines and records `offer.created`.
pub async fn create_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    input: NewOffer,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let mut checks = Checks::default();
    let title = checks
        .take(required_text("title", &input.title, MAX_TITLE_CHARS))
        .unwrap_or_default();
    let currency = input
        .currency
        .as_deref()
        .and_then(|c| checks.take(check_currency(c)));
    let terms = checks
        .take(optional_text(
            "terms",
            input.terms.as_deref(),
            MAX_TERMS_CHARS,
        ))
        .flatten();
    let notes = checks
        .take(optional_text(
            "notes",
            input.notes.as_deref(),
            MAX_NOTE_CHARS,
        ))
        .flatten();
    check_valid_until(&mut checks, input.valid_until, now);
    let items = check_items(&mut checks, &input.items);
    let totals = totals_of(&mut checks, &items);
    let links = resolve_links(
        db,
        scope,
        &mut checks,
        input.account_id,
        input.opportunity_id,
        input.contact_global_id.as_deref(),
    )
    .await?;
    checks.finish()?;
    let Some(totals) = totals else {
        return Err(DomainError::Internal(
            "offer totals missing after checks".to_owned(),
        ));
    };
    let currency = match currency.or(links.opportunity_currency.clone()) {
        Some(currency) => currency,
        None => settings(db, scope)
            .await?
            .map_or_else(|| "USD".to_owned(), |s| s.default_currency),
    };

    let txn = db.begin().await?;
    let row = offers::ActiveModel {
        id: Set(Uuid::new_v4()),
        project_id: Set(scope.project_id()),
        account_scope_id: Set(scope.account_scope_id()),
        account_id: Set(links.account_id),
        opportunity_id: Set(links.opportunity_id),
        contact_global_id: Set(links.contact_global_id),
        title: Set(title),
        currency: Set(currency),
        subtotal: Set(totals.subtotal),
        discount_total: Set(totals.discount_total),
        total: Set(totals.total),
        max_discount_pct: Set(totals.max_discount_pct),
        requires_approval: Set(false),
        status: Set(OfferStatus::Draft),
        valid_until: Set(input.valid_until.map(Into::into)),
        terms: Set(terms),
        notes: Set(notes),
        created_by: Set(actor.user_id),
        submitted_at: Set(None),
        approved_at: Set(None),
        rejected_at: Set(None),
        sent_at: Set(None),
        closed_at: Set(None),
        outbound_message_id: Set(None),
        created_at: Set(now.into()),
        updated_at: Set(now.into()),
    }
    .insert(&txn)
    .await?;
    write_items(&txn, scope, row.id, &items, &totals).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.created",
        &row,
        offer_evidence(&row),
        json!({
            "title": row.title,
            "currency": row.currency,
            "total": row.total.to_string(),
            "maxDiscountPct": row.max_discount_pct.to_string(),
            "items": items.len(),
        }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

/// Edits a draft (or a rejected offer, which goes back to draft): changes the given fields,
/// replaces every line when `items` is given, recomputes the totals and records
/// `offer.updated`.
pub async fn update_offer(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    id: Uuid,
    patch: OfferPatch,
) -> DomainResult<OfferDetail> {
    let now = Utc::now();
    let mut checks = Checks::default();
    let title = patch
        .title
        .as_deref()
        .and_then(|t| checks.take(required_text("title", t, MAX_TITLE_CHARS)));
    let currency = patch
        .currency
        .as_deref()
        .and_then(|c| checks.take(check_currency(c)));
    let terms = patch.terms.as_ref().map(|t| {
        checks
            .take(optional_text("terms", t.as_deref(), MAX_TERMS_CHARS))
            .flatten()
    });
    let notes = patch.notes.as_ref().map(|n| {
        checks
            .take(optional_text("notes", n.as_deref(), MAX_NOTE_CHARS))
            .flatten()
    });
    if let Some(valid_until) = patch.valid_until {
        check_valid_until(&mut checks, valid_until, now);
    }
    let items = patch.items.as_ref().map(|items| {
        let checked = check_items(&mut checks, items);
        let totals = totals_of(&mut checks, &checked);
        (checked, totals)
    });

    let txn = db.begin().await?;
    let row = find(&txn, scope, id, true).await?;
    if !matches!(row.status, OfferStatus::Draft | OfferStatus::Rejected) {
        return Err(DomainError::Conflict(
            "Only draft or rejected offers can be edited".to_owned(),
        ));
    }
    let contact = match &patch.contact_global_id {
        Some(contact) => contact.clone(),
        None => row.contact_global_id.clone(),
    };
    let links = resolve_links(
        &txn,
        scope,
        &mut checks,
        patch.account_id.unwrap_or(row.account_id),
        patch.opportunity_id.unwrap_or(row.opportunity_id),
        contact.as_deref(),
    )
    .await?;
    checks.finish()?;

    let mut active = row.clone().into_active_model();
    let mut changed = Vec::new();
    let mut set = |field: &'static str, is_change: bool| {
        if is_change {
            changed.push(field);
        }
    };
    if let Some(title) = title {
        set("title", title != row.title);
        active.title = Set(title);
    }
    if let Some(currency) = currency {
        set("currency", currency != row.currency);
        active.currency = Set(currency);
    }
    if let Some(terms) = terms {
        set("terms", terms != row.terms);
        active.terms = Set(terms);
    }
    if let Some(notes) = notes {
        set("notes", notes != row.notes);
        active.notes = Set(notes);
    }
    if let Some(valid_until) = patch.valid_until {
        set(
            "validUntil",
            valid_until != row.valid_until.map(|t| t.to_utc()),
        );
        active.valid_until = Set(valid_until.map(Into::into));
    }
    set("accountId", links.account_id != row.account_id);
    set("opportunityId", links.opportunity_id != row.opportunity_id);
    set(
        "contactId",
        links.contact_global_id != row.contact_global_id,
    );
    active.account_id = Set(links.account_id);
    active.opportunity_id = Set(links.opportunity_id);
    active.contact_global_id = Set(links.contact_global_id);
    let reopened = row.status == OfferStatus::Rejected;
    if reopened {
        active.status = Set(OfferStatus::Draft);
        active.requires_approval = Set(false);
        active.submitted_at = Set(None);
    }
    if let Some((checked, Some(totals))) = &items {
        set("items", true);
        active.subtotal = Set(totals.subtotal);
        active.discount_total = Set(totals.discount_total);
        active.total = Set(totals.total);
        active.max_discount_pct = Set(totals.max_discount_pct);
        write_items(&txn, scope, row.id, checked, totals).await?;
    }
    let row = active.update(&txn).await?;
    record(
        &txn,
        scope,
        actor,
        "offer.updated",
        &row,
        offer_evidence(&row),
        json!({
            "fields": changed,
            "reopened": reopened,
            "total": row.total.to_string(),
            "maxDiscountPct": row.max_discount_pct.to_string(),
        }),
    )
    .await?;
    let detail = detail(&txn, scope, row).await?;
    txn.commit().await?;
    Ok(detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn quantities_take_four_decimals_and_must_be_positive() {
        assert_eq!(check_quantity("q", d("1.2500")), Ok(d("1.25")));
        assert!(check_quantity("q", d("0.0001")).is_ok());
        assert!(check_quantity("q", d("0.00001")).is_err());
        assert!(check_quantity("q", d("0")).is_err());
        assert!(check_quantity("q", d("-1")).is_err());
    }

    #[test]
    fn prices_take_two_decimals_and_discounts_stay_within_0_and_100() {
        assert!(check_price("p", d("0")).is_ok());
        assert!(check_price("p", d("9.999")).is_err());
        assert!(check_price("p", d("-0.01")).is_err());
        assert!(check_discount("d", d("100")).is_ok());
        assert!(check_discount("d", d("100.01")).is_err());
        assert!(check_discount("d", d("12.345")).is_err());
        assert!(check_discount("d", d("-1")).is_err());
    }
}
