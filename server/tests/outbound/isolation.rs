//! Tenant isolation of the outbound services: another project's scope finds nothing of this
//! project's messages, contacts and policies, and changes none of them.
use entity::enums::OutboundOriginKind;
use server::{
    domain::outbound::{
        messages::{self, MessageFilter, NewMessage, NewOutbound},
        policies,
    },
    kernel::DomainError,
};

use crate::helpers::OutboundFixtures;
use crate::helpers::{Fixture, Written};

fn not_found<T: std::fmt::Debug>(what: &str, result: Result<T, DomainError>) {
    assert!(
        matches!(result, Err(DomainError::NotFound(_))),
        "{what}: {result:?}"
    );
}

#[tokio::test]
async fn another_scope_gets_not_found_for_this_projects_messages_contacts_and_policies() {
    // Arrange: A has a queued message, a pending one and a stop message; B is a stranger.
    let f = Fixture::new().await;
    let queued = f.approved("A's queued message").await;
    let pending = f.draft_to(&f.contact, "A's pending message").await;
    messages::submit_message(f.db(), &f.scope, &f.author, pending)
        .await
        .expect("submitted");
    let stop = f
        .test
        .inbound(
            &f.scope,
            9401,
            &f.conversation,
            &f.contact,
            Written::Incoming,
            "stop",
        )
        .await;
    let b = f.test.project("bravo").await;
    let bob = f.test.member(&b, "bob").await.actor;
    let db = f.db();

    // Act + Assert
    not_found("get", messages::get_message(db, &b, queued).await);
    not_found(
        "get with attempts",
        messages::get_message_with_attempts(db, &b, queued).await,
    );
    not_found(
        "submit",
        messages::submit_message(db, &b, &bob, pending).await,
    );
    not_found(
        "approve",
        messages::approve_message(db, &b, &bob, pending).await,
    );
    not_found(
        "reject",
        messages::reject_message(db, &b, &bob, pending, None).await,
    );
    not_found(
        "cancel",
        messages::cancel_message(db, &b, &bob, queued).await,
    );
    not_found(
        "create for A's contact",
        messages::create_message(
            db,
            &b,
            &bob,
            NewMessage {
                contact_id: f.contact.clone(),
                content: "hijack".to_owned(),
                ..NewMessage::default()
            },
        )
        .await,
    );
    not_found(
        "enqueue for A's contact",
        messages::enqueue_approved(
            db,
            &b,
            NewOutbound {
                contact_global_id: f.contact.clone(),
                conversation_global_id: None,
                channel: "chatwoot".to_owned(),
                content: "hijack".to_owned(),
                origin_kind: OutboundOriginKind::Campaign,
                origin_id: None,
            },
            bob.user_id,
            bob.user_id,
        )
        .await,
    );
    not_found(
        "policies",
        policies::contact_policies(db, &b, &f.contact).await,
    );
    not_found(
        "opt out",
        policies::opt_out(db, &b, &bob, &f.contact, "all", None, Vec::new()).await,
    );
    not_found(
        "opt in",
        policies::opt_in(db, &b, &bob, &f.contact, "all").await,
    );
    not_found(
        "cap",
        policies::set_frequency_cap(db, &b, &bob, &f.contact, "all", Some(1), None).await,
    );
    let listed = messages::list_messages(db, &b, &MessageFilter::default(), 100, None)
        .await
        .expect("B lists");
    assert!(listed.items.is_empty() && listed.total_count == 0);
    let filtered = messages::list_messages(
        db,
        &b,
        &MessageFilter {
            contact_id: Some(f.contact.clone()),
            ..MessageFilter::default()
        },
        100,
        None,
    )
    .await
    .expect("B lists");
    assert!(filtered.items.is_empty());
    assert!(
        messages::attempts_of(db, &b, &[queued])
            .await
            .expect("B reads attempts")
            .is_empty()
    );
    assert_eq!(
        policies::apply_inbound_opt_outs(db, &b, &[stop])
            .await
            .expect("B applies"),
        0,
        "B cannot opt A's contact out"
    );
    assert_eq!(f.status(queued).await, "queued");
    assert_eq!(f.status(pending).await, "pending_approval");
    assert_eq!(
        f.test
            .scalar("select count(*) from contact_channel_policies")
            .await,
        0
    );
    assert_eq!(
        f.test
            .scalar("select count(*) from outbound_messages")
            .await,
        2
    );
    let own = messages::list_messages(db, &f.scope, &MessageFilter::default(), 1, None)
        .await
        .expect("A lists");
    assert_eq!(
        (own.items.len(), own.total_count, own.has_next_page),
        (1, 2, true)
    );
    let next = messages::list_messages(
        db,
        &f.scope,
        &MessageFilter::default(),
        1,
        Some(own.items[0].cursor()),
    )
    .await
    .expect("A's next page");
    assert_eq!(next.items.len(), 1);
    assert_ne!(next.items[0].id, own.items[0].id);
    assert!(!next.has_next_page);
    f.drop().await;
}
