//! Accounts: validation, archive, listing, and merges.
use entity::enums::{AccountContactLinkSource, AccountContactLinkStatus, CrmAccountStatus};
use sea_orm::prelude::Decimal;
use server::{
    domain::crm::{
        accounts::{self, AccountCursor, AccountFilter, AccountOrder, AccountPatch, NewAccount},
        contacts,
        opportunities::{self, NewOpportunity, StageMove},
        pipeline,
    },
    kernel::{Actor, DomainError},
};

use crate::helpers::CrmFixtures;
use crate::helpers::TestDb;

fn fields(result: DomainError) -> Vec<String> {
    match result {
        DomainError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn creating_an_account_lowercases_its_domain_and_records_it() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let owner = test.member(&scope, "owner").await.id;

    // Act
    let account = accounts::create_account(
        &test.db,
        &scope,
        &Actor::new("user:x", Some(owner)),
        NewAccount {
            name: "  Acme Corp ".to_owned(),
            domain: Some("ACME.com".to_owned()),
            website: Some("https://acme.com".to_owned()),
            industry: Some(" ".to_owned()),
            owner_user_id: Some(owner),
        },
    )
    .await
    .expect("created");

    // Assert
    assert_eq!(account.name, "Acme Corp");
    assert_eq!(account.domain.as_deref(), Some("acme.com"));
    assert_eq!(account.industry, None);
    assert_eq!(account.status, CrmAccountStatus::Active);
    assert_eq!(test.audits("crm.account.created").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn invalid_account_input_names_every_bad_field_and_writes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let stranger = test.user("stranger").await;
    let actor = Actor::system("test");

    // Act
    let created = accounts::create_account(
        &test.db,
        &scope,
        &actor,
        NewAccount {
            name: "   ".to_owned(),
            domain: Some("not a domain".to_owned()),
            website: Some("ftp://acme.com".to_owned()),
            industry: Some("x".repeat(121)),
            owner_user_id: Some(stranger),
        },
    )
    .await;
    let too_long = accounts::create_account(
        &test.db,
        &scope,
        &actor,
        NewAccount {
            name: "x".repeat(201),
            ..NewAccount::default()
        },
    )
    .await;

    // Assert
    let mut bad = fields(created.expect_err("refused"));
    bad.sort();
    assert_eq!(
        bad,
        ["domain", "industry", "name", "ownerUserId", "website"]
    );
    assert_eq!(fields(too_long.expect_err("refused")), ["name"]);
    assert_eq!(test.count("crm_accounts").await, 0);
    assert_eq!(test.count("audit_events").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn an_invalid_update_changes_nothing_and_a_valid_one_changes_only_given_fields() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Acme", Some("acme.com")).await;

    // Act
    let refused = accounts::update_account(
        &test.db,
        &scope,
        &Actor::system("test"),
        account.id,
        AccountPatch {
            name: Some("Acme 2".to_owned()),
            domain: Some(Some("acme".to_owned())),
            ..AccountPatch::default()
        },
    )
    .await;
    let unchanged = accounts::get_account(&test.db, &scope, account.id)
        .await
        .expect("get");
    let updated = accounts::update_account(
        &test.db,
        &scope,
        &Actor::system("test"),
        account.id,
        AccountPatch {
            industry: Some(Some("Manufacturing".to_owned())),
            domain: Some(None),
            ..AccountPatch::default()
        },
    )
    .await
    .expect("updated");

    // Assert
    assert_eq!(fields(refused.expect_err("refused")), ["domain"]);
    assert_eq!(unchanged, account);
    assert_eq!(updated.name, "Acme");
    assert_eq!(updated.domain, None);
    assert_eq!(updated.industry.as_deref(), Some("Manufacturing"));
    assert_eq!(
        test.audits("crm.account.updated").await,
        1,
        "the refused edit left no trace"
    );
    test.drop().await;
}

#[tokio::test]
async fn archiving_records_the_change_once_and_unarchiving_restores_the_account() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Acme", None).await;
    let actor = Actor::system("test");

    // Act
    let archived = accounts::archive_account(&test.db, &scope, &actor, account.id)
        .await
        .expect("archived");
    accounts::archive_account(&test.db, &scope, &actor, account.id)
        .await
        .expect("archived again");
    let restored = accounts::unarchive_account(&test.db, &scope, &actor, account.id)
        .await
        .expect("restored");

    // Assert
    assert_eq!(archived.status, CrmAccountStatus::Archived);
    assert!(archived.archived_at.is_some());
    assert_eq!(test.audits("crm.account.archived").await, 1);
    assert_eq!(restored.status, CrmAccountStatus::Active);
    assert_eq!(restored.archived_at, None);
    assert_eq!(test.audits("crm.account.unarchived").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn the_account_list_filters_and_pages_in_either_order() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let owner = test.member(&scope, "owner").await.id;
    for name in ["delta", "Alpha", "charlie", "Bravo", "echo"] {
        test.account(&scope, name, Some(&format!("{}.com", name.to_lowercase())))
            .await;
    }
    let owned = accounts::create_account(
        &test.db,
        &scope,
        &Actor::system("test"),
        NewAccount {
            name: "Foxtrot".to_owned(),
            owner_user_id: Some(owner),
            ..NewAccount::default()
        },
    )
    .await
    .expect("owned");
    let archived = test.account(&scope, "Golf", None).await;
    accounts::archive_account(&test.db, &scope, &Actor::system("test"), archived.id)
        .await
        .expect("archived");

    // Act
    let mut by_name = Vec::new();
    let mut after: Option<AccountCursor> = None;
    loop {
        let page = accounts::list_accounts(
            &test.db,
            &scope,
            &AccountFilter {
                status: Some(CrmAccountStatus::Active),
                ..AccountFilter::default()
            },
            AccountOrder::Name,
            2,
            after.as_ref(),
        )
        .await
        .expect("page");
        assert_eq!(page.total_count, 6);
        by_name.extend(page.items.iter().map(|a| a.name.clone()));
        if !page.has_next_page {
            break;
        }
        after = page.items.last().map(|a| a.cursor(AccountOrder::Name));
    }
    let first_recent = accounts::list_accounts(
        &test.db,
        &scope,
        &AccountFilter::default(),
        AccountOrder::UpdatedAt,
        1,
        None,
    )
    .await
    .expect("recent");
    let second_recent = accounts::list_accounts(
        &test.db,
        &scope,
        &AccountFilter::default(),
        AccountOrder::UpdatedAt,
        1,
        Some(&first_recent.items[0].cursor(AccountOrder::UpdatedAt)),
    )
    .await
    .expect("recent");
    let text = accounts::list_accounts(
        &test.db,
        &scope,
        &AccountFilter {
            text: Some("RAVO.c".to_owned()),
            ..AccountFilter::default()
        },
        AccountOrder::Name,
        10,
        None,
    )
    .await
    .expect("text");
    let by_owner = accounts::list_accounts(
        &test.db,
        &scope,
        &AccountFilter {
            owner_user_id: Some(owner),
            ..AccountFilter::default()
        },
        AccountOrder::Name,
        10,
        None,
    )
    .await
    .expect("owner");
    let wrong_cursor = accounts::list_accounts(
        &test.db,
        &scope,
        &AccountFilter::default(),
        AccountOrder::Name,
        10,
        Some(&first_recent.items[0].cursor(AccountOrder::UpdatedAt)),
    )
    .await;

    // Assert
    assert_eq!(
        by_name,
        ["Alpha", "Bravo", "charlie", "delta", "echo", "Foxtrot"]
    );
    assert_eq!(first_recent.total_count, 7);
    assert_eq!(first_recent.items[0].name, "Golf");
    assert_eq!(second_recent.items[0].name, "Foxtrot");
    assert_eq!(
        text.items
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["Bravo"]
    );
    assert_eq!(
        by_owner.items.iter().map(|a| a.id).collect::<Vec<_>>(),
        [owned.id]
    );
    assert_eq!(fields(wrong_cursor.expect_err("refused")), ["after"]);
    test.drop().await;
}

#[tokio::test]
async fn merging_moves_contacts_and_opportunities_and_keeps_stage_history() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let source = test.account(&scope, "Acme Inc", Some("acme.com")).await;
    let target = test.account(&scope, "ACME", None).await;
    let only_on_source = test.contact(&scope, 1, Some("ann@acme.com"), None).await;
    let confirmed_on_target = test.contact(&scope, 2, Some("bob@acme.com"), None).await;
    let rejected_on_target = test.contact(&scope, 3, Some("cid@acme.com"), None).await;
    contacts::link_contact(
        &test.db,
        &scope,
        &actor,
        source.id,
        &only_on_source,
        Some("CTO"),
    )
    .await
    .expect("linked");
    contacts::link_contact(
        &test.db,
        &scope,
        &actor,
        target.id,
        &confirmed_on_target,
        None,
    )
    .await
    .expect("linked");
    let rejected = contacts::link_contact(
        &test.db,
        &scope,
        &actor,
        target.id,
        &rejected_on_target,
        None,
    )
    .await
    .expect("linked");
    contacts::reject_link(&test.db, &scope, &actor, rejected.id)
        .await
        .expect("rejected");
    // Suggests bob and cid on the source (ann is already confirmed there).
    let suggested = contacts::suggest_contacts(&test.db, &scope, source.id)
        .await
        .expect("suggested");
    assert_eq!(
        suggested.len(),
        1,
        "bob is confirmed on the target, so only cid"
    );
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            account_id: source.id,
            name: "Rollout".to_owned(),
            amount: Decimal::new(100_000, 2),
            currency: "EUR".to_owned(),
            ..NewOpportunity::default()
        },
    )
    .await
    .expect("opportunity");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: stages[2].id,
            ..StageMove::default()
        },
    )
    .await
    .expect("moved");

    // Act
    let outcome = accounts::merge_accounts(&test.db, &scope, &actor, source.id, target.id)
        .await
        .expect("merged");
    let again = accounts::merge_accounts(&test.db, &scope, &actor, source.id, target.id).await;

    // Assert
    assert_eq!(outcome.moved_contacts, 2);
    assert_eq!(outcome.moved_opportunities, 1);
    assert_eq!(outcome.target.domain.as_deref(), Some("acme.com"));
    let merged = accounts::get_account(&test.db, &scope, source.id)
        .await
        .expect("source");
    assert_eq!(merged.status, CrmAccountStatus::Merged);
    assert_eq!(merged.merged_into_id, Some(target.id));
    let on_source = contacts::account_contacts(&test.db, &scope, source.id, None)
        .await
        .expect("source links");
    assert!(on_source.is_empty());
    let on_target = contacts::account_contacts(&test.db, &scope, target.id, None)
        .await
        .expect("target links");
    let state: Vec<_> = on_target
        .iter()
        .map(|l| (l.contact_global_id.clone(), l.status, l.source))
        .collect();
    assert_eq!(state.len(), 3);
    assert!(state.contains(&(
        only_on_source.clone(),
        AccountContactLinkStatus::Confirmed,
        AccountContactLinkSource::Merge
    )));
    assert!(state.contains(&(
        confirmed_on_target.clone(),
        AccountContactLinkStatus::Confirmed,
        AccountContactLinkSource::Manual
    )));
    assert!(state.contains(&(
        rejected_on_target.clone(),
        AccountContactLinkStatus::Rejected,
        AccountContactLinkSource::Manual
    )));
    assert_eq!(
        on_target
            .iter()
            .find(|l| l.contact_global_id == only_on_source)
            .and_then(|l| l.role.as_deref()),
        Some("CTO")
    );
    let moved = opportunities::get_opportunity(&test.db, &scope, opportunity.id)
        .await
        .expect("opportunity");
    assert_eq!(moved.account_id, target.id);
    let history = opportunities::stage_history(&test.db, &scope, opportunity.id)
        .await
        .expect("history");
    assert_eq!(
        history
            .iter()
            .map(|e| e.to_stage_key.as_str())
            .collect::<Vec<_>>(),
        ["lead", "proposal"]
    );
    assert_eq!(
        contacts::account_for_contact(&test.db, &scope, &only_on_source)
            .await
            .expect("account")
            .map(|a| a.id),
        Some(target.id)
    );
    assert_eq!(test.audits("crm.account.merged").await, 1);
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from audit_events where action = 'crm.account.merged' \
             and evidence_refs @> '[{{\"kind\": \"account\", \"id\": \"{}\"}}]'",
            source.id
        ))
        .await,
        1
    );
    assert!(matches!(again, Err(DomainError::Conflict(_))));
    test.drop().await;
}

#[tokio::test]
async fn an_account_cannot_be_merged_into_itself() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Acme", None).await;

    // Act
    let result = accounts::merge_accounts(
        &test.db,
        &scope,
        &Actor::system("test"),
        account.id,
        account.id,
    )
    .await;

    // Assert
    assert_eq!(fields(result.expect_err("refused")), ["targetId"]);
    assert_eq!(
        accounts::get_account(&test.db, &scope, account.id)
            .await
            .expect("get")
            .status,
        CrmAccountStatus::Active
    );
    test.drop().await;
}
