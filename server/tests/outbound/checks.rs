//! The send-time re-checks: an opt-out or a cap that arrives after the approval still stops
//! the message.
use server::domain::outbound::{policies, sender};

use crate::helpers::Fixture;

#[tokio::test]
async fn an_opt_out_set_after_approval_blocks_at_send_time() {
    // Arrange
    let f = Fixture::new().await;
    let id = f.approved("Special offer inside").await;
    policies::opt_out(
        f.db(),
        &f.scope,
        &f.author,
        &f.contact,
        "all",
        Some("asked by phone".to_owned()),
        Vec::new(),
    )
    .await
    .expect("opted out");

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.blocked, 1, "{report:?}");
    assert!(f.posted_to_first().is_empty(), "nothing reached Chatwoot");
    assert_eq!(f.fake.requests(), 0);
    assert_eq!(f.status(id).await, "blocked");
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select blocked_reason from outbound_messages where id = '{id}'"
            ))
            .await
            .as_deref(),
        Some("opted_out")
    );
    assert_eq!(f.attempt_statuses(id).await, ["blocked"]);
    assert_eq!(f.audits("outbound.message.blocked", id).await, 1);
    f.drop().await;
}

#[tokio::test]
async fn an_opt_out_of_the_channel_alone_blocks_too() {
    // Arrange
    let f = Fixture::new().await;
    let id = f.approved("Hello").await;
    policies::opt_out(
        f.db(),
        &f.scope,
        &f.author,
        &f.contact,
        "chatwoot",
        None,
        Vec::new(),
    )
    .await
    .expect("opted out");
    let other = f.approved_to(&f.other_contact.clone(), "Hello").await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!((report.blocked, report.sent), (1, 1), "{report:?}");
    assert_eq!(f.status(id).await, "blocked");
    assert_eq!(
        f.status(other).await,
        "sent",
        "other contacts are unaffected"
    );
    f.drop().await;
}

#[tokio::test]
async fn a_frequency_cap_set_after_approval_blocks_the_over_cap_message() {
    // Arrange: two approved messages, then a cap of one per day.
    let f = Fixture::new().await;
    let first = f.approved("First note").await;
    let second = f.approved("Second note").await;
    policies::set_frequency_cap(
        f.db(),
        &f.scope,
        &f.author,
        &f.contact,
        "chatwoot",
        Some(1),
        Some(86_400),
    )
    .await
    .expect("cap set");

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!((report.sent, report.blocked), (1, 1), "{report:?}");
    assert_eq!(f.posted_to_first().len(), 1);
    assert_eq!(f.status(first).await, "sent");
    assert_eq!(f.status(second).await, "blocked");
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select blocked_reason from outbound_messages where id = '{second}'"
            ))
            .await
            .as_deref(),
        Some("frequency_cap")
    );
    f.drop().await;
}

#[tokio::test]
async fn the_project_default_cap_counts_messages_sent_earlier() {
    // Arrange: the project allows one message per week; one went out already.
    let f = Fixture::new().await;
    f.test
        .run(&format!(
            "insert into project_settings (project_id, account_scope_id, default_frequency_cap) \
             values ('{}', '{}', 1)",
            f.scope.project_id(),
            f.scope.account_scope_id()
        ))
        .await;
    let earlier = f.approved("Earlier").await;
    f.send().await;
    let later = f.approved("Later").await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(f.status(earlier).await, "sent");
    assert_eq!(report.blocked, 1, "{report:?}");
    assert_eq!(f.status(later).await, "blocked");
    assert_eq!(f.posted_to_first().len(), 1);
    f.drop().await;
}

#[tokio::test]
async fn clearing_a_contacts_cap_returns_to_the_project_default() {
    // Arrange: a cap of zero, then cleared (the default allows three a week).
    let f = Fixture::new().await;
    for cap in [Some(0), None] {
        policies::set_frequency_cap(f.db(), &f.scope, &f.author, &f.contact, "all", cap, None)
            .await
            .expect("cap changed");
    }
    let id = f.approved("Allowed again").await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(f.status(id).await, "sent");
    let policies = policies::contact_policies(f.db(), &f.scope, &f.contact)
        .await
        .expect("policies");
    assert_eq!(policies.policies[0].frequency_cap, None);
    assert_eq!(policies.default_frequency_cap, 3);
    assert_eq!(policies.default_frequency_window_seconds, 604_800);
    assert_eq!(
        f.test
            .scalar(
                "select count(*) from audit_events where action in \
                 ('outbound.policy.cap_set', 'outbound.policy.cap_cleared')"
            )
            .await,
        2
    );
    f.drop().await;
}

#[tokio::test]
async fn an_opt_out_recorded_after_the_batch_was_claimed_stops_the_message_before_its_post() {
    // Arrange: the sender has claimed the message (checks passed, lease taken) ...
    let f = Fixture::new().await;
    let id = f.approved("Last chance: 20% off").await;
    let options = f.options("slow-sender");
    let (claimed, _) = sender::claim(f.db(), &options).await.expect("claimed");
    assert_eq!(claimed.len(), 1);
    // ... and the contact opts out while the batch is still being worked through.
    policies::opt_out(
        f.db(),
        &f.scope,
        &f.author,
        &f.contact,
        "all",
        Some("replied STOP".to_owned()),
        Vec::new(),
    )
    .await
    .expect("opted out");

    // Act
    let mut blocked = 0;
    for c in claimed {
        blocked += sender::deliver_claimed(f.db(), &options, c)
            .await
            .expect("delivery runs")
            .blocked;
    }

    // Assert
    assert_eq!(blocked, 1);
    assert_eq!(f.fake.requests(), 0, "nothing reached Chatwoot");
    assert_eq!(f.status(id).await, "blocked");
    assert_eq!(f.attempt_statuses(id).await, ["blocked"]);
    assert_eq!(f.audits("outbound.message.blocked", id).await, 1);
    f.drop().await;
}
