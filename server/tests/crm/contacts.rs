//! Contact links: suggestions from email domains and company attributes, decisions, and the
//! one-confirmed-account rule.
use entity::enums::{AccountContactLinkSource, AccountContactLinkStatus};
use server::{
    domain::crm::contacts,
    kernel::{Actor, DomainError},
};

use crate::helpers::CrmFixtures;
use crate::helpers::TestDb;

#[tokio::test]
async fn suggestions_match_email_domain_and_company_attribute_and_rerunning_adds_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test
        .account(&scope, "Globex Corporation", Some("globex.com"))
        .await;
    let by_email = test.contact(&scope, 1, Some("jane@globex.com"), None).await;
    let by_email_upper = test
        .contact(&scope, 2, Some(" Bob@GLOBEX.com "), None)
        .await;
    let by_company = test
        .contact(
            &scope,
            3,
            Some("carl@gmail.com"),
            Some("  globex CORPORATION "),
        )
        .await;
    test.contact(&scope, 4, Some("dan@other.com"), Some("Other Ltd"))
        .await;
    test.contact(&scope, 5, Some("eve@globex.com.evil.net"), None)
        .await;
    test.contact(&scope, 6, None, None).await;

    // Act
    let first = contacts::suggest_contacts(&test.db, &scope, account.id)
        .await
        .expect("first run");
    let second = contacts::suggest_contacts(&test.db, &scope, account.id)
        .await
        .expect("second run");

    // Assert
    let got: Vec<_> = first
        .iter()
        .map(|l| (l.contact_global_id.clone(), l.status, l.source))
        .collect();
    let want = vec![
        (
            by_email,
            AccountContactLinkStatus::Suggested,
            AccountContactLinkSource::EmailDomain,
        ),
        (
            by_email_upper,
            AccountContactLinkStatus::Suggested,
            AccountContactLinkSource::EmailDomain,
        ),
        (
            by_company,
            AccountContactLinkStatus::Suggested,
            AccountContactLinkSource::CompanyAttribute,
        ),
    ];
    assert_eq!(got, want);
    assert!(second.is_empty());
    assert_eq!(test.count("crm_account_contacts").await, 3);
    test.drop().await;
}

#[tokio::test]
async fn a_rejected_suggestion_is_never_suggested_again() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let account = test.account(&scope, "Initech", Some("initech.com")).await;
    test.contact(&scope, 1, Some("peter@initech.com"), None)
        .await;
    let suggestion = contacts::suggest_contacts(&test.db, &scope, account.id)
        .await
        .expect("suggested")
        .remove(0);

    // Act
    let rejected = contacts::reject_link(&test.db, &scope, &actor, suggestion.id)
        .await
        .expect("rejected");
    let rerun = contacts::suggest_contacts(&test.db, &scope, account.id)
        .await
        .expect("rerun");

    // Assert
    assert!(rerun.is_empty());
    assert_eq!(rejected.status, AccountContactLinkStatus::Rejected);
    assert_eq!(rejected.decided_by, Some(user));
    assert!(rejected.decided_at.is_some());
    let links = contacts::account_contacts(&test.db, &scope, account.id, None)
        .await
        .expect("links");
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].status, AccountContactLinkStatus::Rejected);
    assert_eq!(test.audits("crm.contact_link.rejected").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn a_contact_confirmed_on_one_account_cannot_be_confirmed_on_another() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let first = test.account(&scope, "Umbrella", Some("umbrella.com")).await;
    let second = test
        .account(&scope, "Umbrella EU", Some("umbrella.com"))
        .await;
    let contact = test
        .contact(&scope, 1, Some("alice@umbrella.com"), None)
        .await;
    let pending = contacts::suggest_contacts(&test.db, &scope, second.id)
        .await
        .expect("suggested")
        .remove(0);

    // Act
    let confirmed = contacts::link_contact(&test.db, &scope, &actor, first.id, &contact, None)
        .await
        .expect("linked");
    let manual = contacts::link_contact(&test.db, &scope, &actor, second.id, &contact, None).await;
    let via_suggestion = contacts::confirm_link(&test.db, &scope, &actor, pending.id).await;

    // Assert
    assert_eq!(confirmed.status, AccountContactLinkStatus::Confirmed);
    assert_eq!(confirmed.source, AccountContactLinkSource::Manual);
    assert!(matches!(manual, Err(DomainError::Conflict(_))));
    assert!(matches!(via_suggestion, Err(DomainError::Conflict(_))));
    let second_links = contacts::account_contacts(&test.db, &scope, second.id, None)
        .await
        .expect("links");
    assert_eq!(second_links.len(), 1);
    assert_eq!(second_links[0].status, AccountContactLinkStatus::Suggested);
    assert_eq!(
        contacts::account_for_contact(&test.db, &scope, &contact)
            .await
            .expect("account")
            .map(|a| a.id),
        Some(first.id)
    );
    assert_eq!(test.audits("crm.contact_link.confirmed").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn confirming_a_suggestion_records_who_decided() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let account = test.account(&scope, "Hooli", Some("hooli.com")).await;
    let contact = test.contact(&scope, 1, Some("gavin@hooli.com"), None).await;
    let suggestion = contacts::suggest_contacts(&test.db, &scope, account.id)
        .await
        .expect("suggested")
        .remove(0);

    // Act
    let confirmed = contacts::confirm_link(&test.db, &scope, &actor, suggestion.id)
        .await
        .expect("confirmed");

    // Assert
    assert_eq!(confirmed.status, AccountContactLinkStatus::Confirmed);
    assert_eq!(confirmed.source, AccountContactLinkSource::EmailDomain);
    assert_eq!(confirmed.decided_by, Some(user));
    assert!(confirmed.decided_at.is_some());
    assert_eq!(
        contacts::account_for_contact(&test.db, &scope, &contact)
            .await
            .expect("account")
            .map(|a| a.id),
        Some(account.id)
    );
    test.drop().await;
}

#[tokio::test]
async fn linking_an_unknown_contact_is_not_found_and_a_bad_role_writes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Hooli", None).await;
    let contact = test.contact(&scope, 1, None, None).await;
    let actor = Actor::system("test");

    // Act
    let unknown = contacts::link_contact(
        &test.db,
        &scope,
        &actor,
        account.id,
        &format!("cwc:{}:1:999", scope.project_id()),
        None,
    )
    .await;
    let malformed =
        contacts::link_contact(&test.db, &scope, &actor, account.id, "not-an-id", None).await;
    let bad_role = contacts::link_contact(
        &test.db,
        &scope,
        &actor,
        account.id,
        &contact,
        Some(&"r".repeat(121)),
    )
    .await;

    // Assert
    assert!(matches!(unknown, Err(DomainError::NotFound("contact"))));
    assert!(matches!(malformed, Err(DomainError::NotFound("contact"))));
    assert!(matches!(bad_role, Err(DomainError::Validation(_))));
    assert_eq!(test.count("crm_account_contacts").await, 0);
    test.drop().await;
}
