//! Approval: nothing unapproved is ever sent, whatever transition or table write is tried;
//! four eyes; cancelling; the audit trail; and `enqueue_approved` for other modules.
use entity::enums::{OutboundOriginKind, OutboundStatus};
use sea_orm::{ConnectionTrait, TransactionTrait};
use server::{
    domain::outbound::{
        Actor,
        messages::{self, NewMessage, NewOutbound},
        sender,
    },
    kernel::DomainError,
};

use crate::helpers::Fixture;

fn conflict<T: std::fmt::Debug>(result: Result<T, DomainError>) -> bool {
    matches!(result, Err(DomainError::Conflict(_)))
}

#[tokio::test]
async fn an_unapproved_message_is_never_sent() {
    // Arrange: a draft, a message waiting for approval, a rejected and a cancelled one.
    let f = Fixture::new().await;
    let db = f.db();
    let (s, a) = (&f.scope, &f.author);
    let draft = f.draft_to(&f.contact, "Draft text").await;
    let pending = f.draft_to(&f.contact, "Pending text").await;
    messages::submit_message(db, s, a, pending)
        .await
        .expect("submitted");
    let rejected = f.draft_to(&f.contact, "Rejected text").await;
    messages::submit_message(db, s, a, rejected)
        .await
        .expect("submitted");
    messages::reject_message(db, s, &f.approver, rejected, Some("off-brand".to_owned()))
        .await
        .expect("rejected");
    let cancelled = f.draft_to(&f.contact, "Cancelled text").await;

    // Act: every way to push them forward that is not an approval of a pending message.
    let approve_draft = messages::approve_message(db, s, &f.approver, draft).await;
    let approve_rejected = messages::approve_message(db, s, &f.approver, rejected).await;
    let resubmit_pending = messages::submit_message(db, s, a, pending).await;
    let reject_draft = messages::reject_message(db, s, &f.approver, draft, None).await;
    let system_approval =
        messages::approve_message(db, s, &Actor::system("campaigns"), pending).await;
    messages::cancel_message(db, s, a, cancelled)
        .await
        .expect("cancelled");
    let approve_cancelled = messages::approve_message(db, s, &f.approver, cancelled).await;
    let submit_cancelled = messages::submit_message(db, s, a, cancelled).await;
    let cancel_cancelled = messages::cancel_message(db, s, a, cancelled).await;
    let mut table_writes = Vec::new();
    for sql in [
        format!("update outbound_messages set status = 'queued' where id = '{draft}'"),
        format!("update outbound_messages set status = 'approved' where id = '{pending}'"),
        format!("update outbound_messages set status = 'sent' where id = '{rejected}'"),
        format!(
            "insert into outbound_messages (project_id, account_scope_id, channel, \
               contact_global_id, content, status) values ('{}', '{}', 'chatwoot', '{}', \
               'Forged', 'queued')",
            s.project_id(),
            s.account_scope_id(),
            f.contact
        ),
    ] {
        table_writes.push(db.execute_unprepared(&sql).await);
    }
    let report = f.send().await;

    // Assert
    assert!(conflict(approve_draft), "a draft is not approved");
    assert!(
        conflict(approve_rejected),
        "a rejected message stays rejected"
    );
    assert!(conflict(resubmit_pending));
    assert!(conflict(reject_draft));
    assert!(matches!(system_approval, Err(DomainError::Forbidden)));
    assert!(conflict(approve_cancelled));
    assert!(conflict(submit_cancelled));
    assert!(conflict(cancel_cancelled));
    for result in &table_writes {
        let error = result
            .as_ref()
            .expect_err("the check constraint refuses it");
        assert!(
            error
                .to_string()
                .contains("outbound_messages_sent_requires_approval"),
            "{error}"
        );
    }
    assert!(report.is_idle(), "{report:?}");
    assert_eq!(f.fake.requests(), 0, "nothing reached Chatwoot");
    assert_eq!(f.status(draft).await, "draft");
    assert_eq!(f.status(pending).await, "pending_approval");
    assert_eq!(f.status(rejected).await, "cancelled");
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select blocked_reason from outbound_messages where id = '{rejected}'"
            ))
            .await
            .as_deref(),
        Some("rejected")
    );
    assert_eq!(f.status(cancelled).await, "cancelled");
    assert_eq!(
        f.test
            .scalar("select count(*) from outbound_messages where approved_at is not null")
            .await,
        0
    );
    f.drop().await;
}

#[tokio::test]
async fn every_transition_is_audited_with_the_message_and_contact_as_evidence() {
    // Arrange
    let f = Fixture::new().await;
    let approved = f.approved("Approved one").await;
    let rejected = f.draft_to(&f.contact, "Rejected one").await;
    messages::submit_message(f.db(), &f.scope, &f.author, rejected)
        .await
        .expect("submitted");

    // Act
    messages::reject_message(
        f.db(),
        &f.scope,
        &f.approver,
        rejected,
        Some("wrong tone".to_owned()),
    )
    .await
    .expect("rejected");
    messages::cancel_message(f.db(), &f.scope, &f.author, approved)
        .await
        .expect("cancelled while queued and not being sent");

    // Assert
    for (action, target, n) in [
        ("outbound.message.created", approved, 1),
        ("outbound.message.submitted", approved, 1),
        ("outbound.message.approved", approved, 1),
        ("outbound.message.cancelled", approved, 1),
        ("outbound.message.created", rejected, 1),
        ("outbound.message.submitted", rejected, 1),
        ("outbound.message.rejected", rejected, 1),
    ] {
        assert_eq!(f.audits(action, target).await, n, "{action} {target}");
    }
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from audit_events where target_id = '{approved}' \
                 and evidence_refs @> '[{{\"kind\": \"outbound_message\", \"id\": \"{approved}\"}}, \
                 {{\"kind\": \"contact\", \"id\": \"{}\"}}]'::jsonb",
                f.contact
            ))
            .await,
        4
    );
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select meta->>'reason' from audit_events where action = 'outbound.message.rejected' \
                 and target_id = '{rejected}'"
            ))
            .await
            .as_deref(),
        Some("wrong tone")
    );
    let approved_row = messages::get_message(f.db(), &f.scope, approved)
        .await
        .expect("message");
    assert_eq!(approved_row.status, OutboundStatus::Cancelled);
    assert_eq!(approved_row.approved_by, f.approver.user_id);
    assert!(approved_row.approved_at.is_some() && approved_row.queued_at.is_some());
    assert_eq!(f.send().await.claimed, 0, "a cancelled message is not sent");
    f.drop().await;
}

#[tokio::test]
async fn with_four_eyes_the_author_cannot_approve_their_own_message() {
    // Arrange
    let f = Fixture::new().await;
    f.test
        .run(&format!(
            "insert into project_settings (project_id, account_scope_id, settings) \
             values ('{}', '{}', '{{\"outbound_four_eyes\": \"true\"}}')",
            f.scope.project_id(),
            f.scope.account_scope_id()
        ))
        .await;
    let id = f.draft_to(&f.contact, "Needs a second pair of eyes").await;
    messages::submit_message(f.db(), &f.scope, &f.author, id)
        .await
        .expect("submitted");

    // Act
    let by_author = messages::approve_message(f.db(), &f.scope, &f.author, id).await;
    let by_approver = messages::approve_message(f.db(), &f.scope, &f.approver, id).await;

    // Assert
    assert!(conflict(by_author));
    let approved = by_approver.expect("another member approves");
    assert_eq!(approved.status, OutboundStatus::Queued);
    assert_eq!(approved.approved_by, f.approver.user_id);
    f.drop().await;
}

#[tokio::test]
async fn a_message_being_sent_cannot_be_cancelled() {
    // Arrange: a sender holds the message.
    let f = Fixture::new().await;
    let id = f.approved("In flight").await;
    let options = f.options("holder");
    let (claimed, _) = sender::claim(f.db(), &options).await.expect("claim");

    // Act
    let cancel = messages::cancel_message(f.db(), &f.scope, &f.author, id).await;
    let report = sender::deliver_claimed(f.db(), &options, claimed[0].clone())
        .await
        .expect("delivered");

    // Assert
    assert!(conflict(cancel));
    assert_eq!(report.sent, 1);
    assert_eq!(f.status(id).await, "sent");
    f.drop().await;
}

#[tokio::test]
async fn a_draft_names_a_conversation_of_its_own_contact_only() {
    // Arrange
    let f = Fixture::new().await;
    let other_conversation = format!(
        "cw:{}:{}:{}",
        f.scope.project_id(),
        crate::helpers::ACCOUNT_ID,
        crate::helpers::CONTACTS[1].1
    );

    // Act
    let wrong = messages::create_message(
        f.db(),
        &f.scope,
        &f.author,
        NewMessage {
            contact_id: f.contact.clone(),
            conversation_id: Some(other_conversation),
            content: "x".to_owned(),
            ..NewMessage::default()
        },
    )
    .await;
    let empty = messages::create_message(
        f.db(),
        &f.scope,
        &f.author,
        NewMessage {
            contact_id: f.contact.clone(),
            content: "   ".to_owned(),
            channel: Some("email".to_owned()),
            ..NewMessage::default()
        },
    )
    .await;
    let right = messages::create_message(
        f.db(),
        &f.scope,
        &f.author,
        NewMessage {
            contact_id: f.contact.clone(),
            conversation_id: Some(f.conversation.clone()),
            content: "x".repeat(4000),
            ..NewMessage::default()
        },
    )
    .await;

    // Assert
    assert!(
        matches!(&wrong, Err(DomainError::Validation(e)) if e[0].field == "conversationId"),
        "{wrong:?}"
    );
    assert!(
        matches!(&empty, Err(DomainError::Validation(e)) if e.len() == 2),
        "{empty:?}"
    );
    let right = right.expect("created");
    assert_eq!(
        right.conversation_id.as_deref(),
        Some(f.conversation.as_str())
    );
    assert_eq!(right.origin_kind, OutboundOriginKind::Manual);
    f.drop().await;
}

#[tokio::test]
async fn enqueue_approved_writes_a_queued_message_in_the_callers_transaction() {
    // Arrange
    let f = Fixture::new().await;
    let new = || NewOutbound {
        contact_global_id: f.contact.clone(),
        conversation_global_id: None,
        channel: "chatwoot".to_owned(),
        content: "Your offer".to_owned(),
        origin_kind: OutboundOriginKind::Offer,
        origin_id: Some(uuid::Uuid::new_v4().to_string()),
    };

    // Act: one caller rolls back, another commits.
    let txn = f.db().begin().await.expect("txn");
    messages::enqueue_approved(&txn, &f.scope, new(), f.approver.user_id, f.author.user_id)
        .await
        .expect("enqueued");
    txn.rollback().await.expect("rollback");
    let txn = f.db().begin().await.expect("txn");
    let id = messages::enqueue_approved(&txn, &f.scope, new(), f.approver.user_id, None)
        .await
        .expect("enqueued");
    txn.commit().await.expect("commit");
    let report = f.send().await;

    // Assert
    assert_eq!(
        f.test
            .scalar("select count(*) from outbound_messages")
            .await,
        1
    );
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(f.audits("outbound.message.enqueued", id).await, 1);
    f.drop().await;
}
