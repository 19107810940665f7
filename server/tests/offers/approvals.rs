//! The approval policy: within the threshold an offer is approved at submit; above it another
//! member must approve, never the author (the service refuses, and so does the database).
use entity::enums::{OfferDecision, OfferStatus};
use sea_orm::{ConnectionTrait, Statement};
use server::{
    domain::offers::{self, Decision, OfferPatch, SELF_APPROVAL_REFUSED},
    kernel::{Actor, DomainError, audit::EvidenceRef},
};
use uuid::Uuid;

use crate::helpers::OfferFixtures;
use crate::helpers::{TestDb, World, conflict, dec, fields, line, offer_for};

/// A draft of `w.author` whose largest line discount is `discount` percent.
async fn draft(test: &TestDb, w: &World, discount: &str) -> Uuid {
    offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(
            w.account.id,
            &w.contact,
            vec![
                line("Seats", "10", "50", discount),
                line("Setup", "1", "200", "0"),
            ],
        ),
    )
    .await
    .expect("draft")
    .offer
    .id
}

#[tokio::test]
async fn an_offer_within_the_threshold_is_approved_at_submit_as_an_automatic_approval() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "10").await;

    // Act
    let submitted = offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");

    // Assert
    assert_eq!(submitted.offer.status, OfferStatus::Approved);
    assert!(!submitted.offer.requires_approval);
    assert!(submitted.offer.approved_at.is_some());
    assert_eq!(submitted.approvals.len(), 1);
    let approval = &submitted.approvals[0];
    assert_eq!(approval.decision, OfferDecision::Approved);
    assert_eq!(approval.decided_by, w.author.id);
    assert_eq!(approval.policy["mode"], "auto");
    assert_eq!(approval.policy["threshold"], "10");
    assert_eq!(approval.policy["maxDiscountPct"], "10");
    assert_eq!(approval.policy["requiresApproval"], false);
    assert_eq!(test.audits("offer.submitted").await, 1);
    assert_eq!(test.audits("offer.approved").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn an_offer_above_the_threshold_waits_for_and_gets_another_members_approval() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "10.01").await;
    let message = format!(
        "cwmsg:{}:{}:7",
        w.scope.project_id(),
        crate::helpers::chatwoot_account(&w.scope)
    );

    // Act
    let submitted = offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");
    let approved = offers::approve_offer(
        &test.db,
        &w.scope,
        &w.approver.actor,
        id,
        Decision {
            comment: Some("Strategic account".to_owned()),
            evidence: vec![EvidenceRef::new("message", &message)],
        },
    )
    .await
    .expect("approved");

    // Assert
    assert_eq!(submitted.offer.status, OfferStatus::PendingApproval);
    assert!(submitted.offer.requires_approval);
    assert!(submitted.approvals.is_empty());
    assert_eq!(approved.offer.status, OfferStatus::Approved);
    let approval = &approved.approvals[0];
    assert_eq!(approval.decided_by, w.approver.id);
    assert_eq!(approval.comment.as_deref(), Some("Strategic account"));
    assert_eq!(approval.policy["mode"], "manual");
    assert_eq!(approval.policy["requiresApproval"], true);
    assert_eq!(approval.policy["maxDiscountPct"], "10.01");
    assert_eq!(
        approval.evidence_refs,
        serde_json::json!([{ "kind": "message", "id": message }])
    );
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from audit_events where action = 'offer.approved' \
             and actor = 'user:{}' and target_id = '{id}' \
             and evidence_refs @> '[{{\"kind\": \"offer_approval\", \"id\": \"{}\"}}, \
                                    {{\"kind\": \"message\", \"id\": \"{message}\"}}]'",
            w.approver.id, approval.id
        ))
        .await,
        1
    );
    test.drop().await;
}

#[tokio::test]
async fn the_projects_threshold_setting_decides_what_needs_approval() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    test.threshold(&w.scope, "20").await;
    let within = draft(&test, &w, "20").await;
    let above = draft(&test, &w, "20.5").await;

    // Act
    let within = offers::submit_offer(&test.db, &w.scope, &w.author.actor, within)
        .await
        .expect("within");
    let above = offers::submit_offer(&test.db, &w.scope, &w.author.actor, above)
        .await
        .expect("above");

    // Assert
    assert_eq!(within.offer.status, OfferStatus::Approved);
    assert_eq!(within.approvals[0].policy["threshold"], "20");
    assert_eq!(above.offer.status, OfferStatus::PendingApproval);
    test.drop().await;
}

#[tokio::test]
async fn the_author_cannot_approve_their_own_offer_above_the_threshold() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "25").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");

    // Act
    let result =
        offers::approve_offer(&test.db, &w.scope, &w.author.actor, id, Decision::default()).await;

    // Assert
    assert_eq!(conflict(result), SELF_APPROVAL_REFUSED);
    assert_eq!(test.count("offer_approvals").await, 0);
    let offer = offers::get_offer(&test.db, &w.scope, id)
        .await
        .expect("offer");
    assert_eq!(offer.offer.status, OfferStatus::PendingApproval);
    assert_eq!(test.audits("offer.approved").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn the_database_refuses_a_self_approval_written_around_the_service() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "25").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");

    // Act: an insert straight into offer_approvals, as the author.
    let direct = test
        .db
        .execute_raw(Statement::from_sql_and_values(
            test.db.get_database_backend(),
            "insert into offer_approvals (project_id, account_scope_id, offer_id, decision, \
               decided_by) values ($1, $2, $3, 'approved', $4)",
            [
                w.scope.project_id().into(),
                w.scope.account_scope_id().into(),
                id.into(),
                w.author.id.into(),
            ],
        ))
        .await;

    // Assert
    let error = direct.expect_err("the trigger refuses it");
    assert!(
        offers::violates_constraint(&error, "offer_approvals_not_self_approved"),
        "the service maps this error to its four-eyes conflict: {error}"
    );
    assert!(
        error
            .to_string()
            .contains("requires an approver other than its author"),
        "{error}"
    );
    assert_eq!(test.count("offer_approvals").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn a_rejection_is_recorded_and_editing_takes_the_offer_back_to_draft() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "30").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");

    // Act
    let without_reason = offers::reject_offer(
        &test.db,
        &w.scope,
        &w.approver.actor,
        id,
        Decision::default(),
    )
    .await;
    let rejected = offers::reject_offer(
        &test.db,
        &w.scope,
        &w.approver.actor,
        id,
        Decision {
            comment: Some("30 % is too much".to_owned()),
            evidence: vec![],
        },
    )
    .await
    .expect("rejected");
    let resubmit_unchanged = offers::submit_offer(&test.db, &w.scope, &w.author.actor, id).await;
    let edited = offers::update_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        id,
        OfferPatch {
            items: Some(vec![line("Seats", "10", "50", "5")]),
            ..OfferPatch::default()
        },
    )
    .await
    .expect("edited");
    let resubmitted = offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("resubmitted");

    // Assert
    assert_eq!(fields(without_reason), vec!["comment"]);
    assert_eq!(rejected.offer.status, OfferStatus::Rejected);
    assert!(rejected.offer.rejected_at.is_some());
    assert_eq!(rejected.approvals.len(), 1);
    assert_eq!(rejected.approvals[0].decision, OfferDecision::Rejected);
    assert_eq!(
        rejected.approvals[0].comment.as_deref(),
        Some("30 % is too much")
    );
    assert!(conflict(resubmit_unchanged).contains("rejected"));
    assert_eq!(edited.offer.status, OfferStatus::Draft);
    assert_eq!(resubmitted.offer.status, OfferStatus::Approved);
    assert_eq!(resubmitted.offer.max_discount_pct, dec("5"));
    assert_eq!(resubmitted.approvals.len(), 2, "history kept");
    assert_eq!(test.audits("offer.rejected").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn the_approval_inbox_lists_only_offers_the_caller_may_approve() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let mine = draft(&test, &w, "40").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, mine)
        .await
        .expect("submitted");
    let theirs = offers::create_offer(
        &test.db,
        &w.scope,
        &w.approver.actor,
        offer_for(w.account.id, &w.contact, vec![line("X", "1", "10", "50")]),
    )
    .await
    .expect("theirs")
    .offer
    .id;
    offers::submit_offer(&test.db, &w.scope, &w.approver.actor, theirs)
        .await
        .expect("submitted");
    let within = draft(&test, &w, "0").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, within)
        .await
        .expect("auto-approved");

    // Act
    let authors = offers::approval_inbox(&test.db, &w.scope, w.author.id)
        .await
        .expect("inbox");
    let approvers = offers::approval_inbox(&test.db, &w.scope, w.approver.id)
        .await
        .expect("inbox");

    // Assert
    assert_eq!(
        authors.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![theirs]
    );
    assert_eq!(
        approvers.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![mine]
    );
    test.drop().await;
}

#[tokio::test]
async fn only_people_of_the_project_decide_on_offers() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = draft(&test, &w, "40").await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");
    let stranger = test.user("stranger").await;

    // Act
    let by_system = offers::approve_offer(
        &test.db,
        &w.scope,
        &Actor::system("x"),
        id,
        Decision::default(),
    )
    .await;
    let by_stranger = offers::approve_offer(
        &test.db,
        &w.scope,
        &Actor::new(format!("user:{stranger}"), Some(stranger)),
        id,
        Decision::default(),
    )
    .await;

    // Assert
    assert!(matches!(by_system, Err(DomainError::Forbidden)));
    assert!(matches!(by_stranger, Err(DomainError::Forbidden)));
    assert_eq!(test.count("offer_approvals").await, 0);
    test.drop().await;
}
