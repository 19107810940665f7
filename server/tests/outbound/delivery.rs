//! Delivery: exactly once, retries with backoff, final refusals, `Retry-After`, and senders
//! that die mid-send.
use server::domain::outbound::sender;

use crate::helpers::OutboundFixtures;
use crate::helpers::{CONTACTS, Fixture, marker};

#[tokio::test]
async fn an_approved_message_is_delivered_exactly_once() {
    // Arrange
    let f = Fixture::new().await;
    let id = f.approved("Your renewal quote is ready").await;

    // Act: the sender runs again and again.
    let first = f.send().await;
    let second = f.send().await;
    let third = f.send().await;

    // Assert
    assert_eq!((first.claimed, first.sent), (1, 1), "{first:?}");
    assert!(second.is_idle() && third.is_idle());
    let posted = f.posted_to_first();
    assert_eq!(posted.len(), 1, "one message in the conversation");
    assert_eq!(
        posted[0].content.as_deref(),
        Some("Your renewal quote is ready")
    );
    assert_eq!(posted[0].message_type, 1, "outgoing");
    assert!(!posted[0].private);
    assert_eq!(marker(&posted[0]), Some(id.to_string()));
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(
        f.test
            .scalar(&format!(
                "select chatwoot_message_id from outbound_messages where id = '{id}' \
                 and sent_at is not null and locked_by is null and attempts = 1"
            ))
            .await,
        posted[0].id
    );
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select conversation_global_id from outbound_messages where id = '{id}'"
            ))
            .await,
        Some(f.conversation.clone()),
        "the contact's latest conversation was chosen and kept"
    );
    assert_eq!(f.attempt_statuses(id).await, ["sent"]);
    assert_eq!(f.audits("outbound.message.sent", id).await, 1);
    f.drop().await;
}

#[tokio::test]
async fn a_server_error_is_retried_then_delivered() {
    // Arrange
    let f = Fixture::new().await;
    let id = f.approved("Following up on your ticket").await;
    f.fake.inject_server_errors(1, 503);

    // Act
    let failed = f.send().await;
    let status_after_failure = f.status(id).await;
    let delivered = f.send().await;

    // Assert
    assert_eq!(failed.retry_scheduled, 1, "{failed:?}");
    assert_eq!(status_after_failure, "queued");
    assert_eq!(delivered.sent, 1, "{delivered:?}");
    assert_eq!(f.posted_to_first().len(), 1);
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(f.attempt_statuses(id).await, ["failed", "sent"]);
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from outbound_attempts where outbound_message_id = '{id}' \
                 and attempt_no = 1 and retryable and http_status = 503 \
                 and error like '%503%' and finished_at is not null"
            ))
            .await,
        1,
        "the failed attempt says why and that it will be retried"
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select attempts::bigint from outbound_messages where id = '{id}'"
            ))
            .await,
        2
    );
    f.drop().await;
}

#[tokio::test]
async fn a_client_error_is_final_with_the_error_in_the_attempt() {
    // Arrange: a conversation the database knows but Chatwoot answers 404 for.
    let f = Fixture::new().await;
    let (contact, _) = f
        .test
        .mirror(&f.scope, crate::helpers::ACCOUNT_ID, 777, 99)
        .await;
    let id = f.approved_to(&contact, "Hello there").await;

    // Act
    let report = f.send().await;
    let again = f.send().await;

    // Assert
    assert_eq!(report.failed, 1, "{report:?}");
    assert!(again.is_idle(), "a refusal is not retried");
    assert_eq!(f.status(id).await, "failed");
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from outbound_attempts where outbound_message_id = '{id}' \
                 and status = 'failed' and retryable = false and http_status = 404 \
                 and error like '%404%'"
            ))
            .await,
        1
    );
    assert!(
        f.test
            .optional_text(&format!(
                "select last_error from outbound_messages where id = '{id}'"
            ))
            .await
            .is_some_and(|e| e.contains("404"))
    );
    assert_eq!(f.audits("outbound.message.failed", id).await, 1);
    f.drop().await;
}

#[tokio::test]
async fn a_rate_limit_is_honoured_until_its_retry_after() {
    // Arrange
    let f = Fixture::new().await;
    let id = f.approved("Quick question about seats").await;
    f.fake.inject_rate_limit(1, Some("120"));

    // Act
    let limited = f.send().await;
    let too_early = f.send().await;
    let wait = f
        .test
        .scalar(&format!(
            "select extract(epoch from next_attempt_at - now())::bigint \
             from outbound_messages where id = '{id}'"
        ))
        .await;
    f.test
        .run(&format!(
            "update outbound_messages set next_attempt_at = now() - interval '1 second' \
             where id = '{id}'"
        ))
        .await;
    let later = f.send().await;

    // Assert
    assert_eq!(limited.retry_scheduled, 1, "{limited:?}");
    assert!(
        (110..=121).contains(&wait),
        "waits out Retry-After: {wait}s"
    );
    assert!(too_early.is_idle(), "nothing is tried before then");
    assert_eq!(later.sent, 1, "{later:?}");
    assert_eq!(later.reconciled, 0, "a 429 never reached the app");
    assert_eq!(f.posted_to_first().len(), 1);
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from outbound_attempts where outbound_message_id = '{id}' \
                 and http_status = 429 and retryable"
            ))
            .await,
        1
    );
    f.drop().await;
}

#[tokio::test]
async fn a_sender_killed_after_posting_neither_loses_nor_doubles_the_message() {
    // Arrange: a sender claims and posts, then dies before recording anything.
    let f = Fixture::new().await;
    let id = f.approved("Your order shipped").await;
    let options = f.options("doomed-sender");
    let (claimed, _) = sender::claim(f.db(), &options).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    sender::post_claimed(&claimed[0], &options)
        .await
        .expect("posted");
    drop(claimed);
    f.test
        .run(&format!(
            "update outbound_messages set lease_expires_at = now() - interval '1 second' \
             where id = '{id}'"
        ))
        .await;

    // Act
    let report = f.send().await;
    let again = f.send().await;

    // Assert
    assert_eq!((report.sent, report.reconciled), (1, 1), "{report:?}");
    assert!(again.is_idle());
    let posted = f.posted_to_first();
    assert_eq!(posted.len(), 1, "not posted twice");
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(f.attempt_statuses(id).await, ["sent"]);
    assert_eq!(
        f.test
            .scalar(&format!(
                "select chatwoot_message_id from outbound_messages where id = '{id}'"
            ))
            .await,
        posted[0].id
    );
    f.drop().await;
}

#[tokio::test]
async fn a_sender_killed_before_posting_leaves_the_message_to_be_sent_once() {
    // Arrange: a sender claims, then dies before posting.
    let f = Fixture::new().await;
    let id = f.approved("Welcome aboard").await;
    let options = f.options("doomed-sender");
    let (claimed, _) = sender::claim(f.db(), &options).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    drop(claimed);
    let while_leased = f.send().await;
    f.test
        .run(&format!(
            "update outbound_messages set lease_expires_at = now() - interval '1 second' \
             where id = '{id}'"
        ))
        .await;

    // Act
    let report = f.send().await;

    // Assert
    assert!(while_leased.is_idle(), "a live lease is respected");
    assert_eq!((report.sent, report.reconciled), (1, 0), "{report:?}");
    assert_eq!(f.posted_to_first().len(), 1);
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(
        f.attempt_statuses(id).await,
        ["failed", "sent"],
        "the dead attempt is closed, a new one posted"
    );
    f.drop().await;
}

#[tokio::test]
async fn a_server_error_after_chatwoot_created_the_message_is_not_posted_again() {
    // Arrange: the POST went through but the sender saw a 502 (a proxy answered after Rails
    // committed): the attempt is recorded as a retryable failure.
    let f = Fixture::new().await;
    let id = f.approved("Invoice attached").await;
    let options = f.options("test-sender");
    let (claimed, _) = sender::claim(f.db(), &options).await.expect("claim");
    sender::post_claimed(&claimed[0], &options)
        .await
        .expect("posted");
    f.test
        .run(&format!(
            "update outbound_attempts set status = 'failed', retryable = true, \
               http_status = 502, error = 'bad gateway', finished_at = now() \
             where outbound_message_id = '{id}'; \
             update outbound_messages set attempts = 1, locked_by = null, \
               lease_expires_at = null, next_attempt_at = now() where id = '{id}'"
        ))
        .await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!((report.sent, report.reconciled), (1, 1), "{report:?}");
    assert_eq!(f.posted_to_first().len(), 1, "found, not re-posted");
    assert_eq!(f.status(id).await, "sent");
    assert_eq!(f.attempt_statuses(id).await, ["failed", "sent"]);
    f.drop().await;
}

#[tokio::test]
async fn messages_to_two_contacts_go_to_each_contacts_conversation() {
    // Arrange
    let f = Fixture::new().await;
    let first = f.approved("For the first").await;
    let second = f
        .approved_to(&f.other_contact.clone(), "For the second")
        .await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.sent, 2, "{report:?}");
    assert_eq!(marker(&f.posted(CONTACTS[0].1)[0]), Some(first.to_string()));
    assert_eq!(
        marker(&f.posted(CONTACTS[1].1)[0]),
        Some(second.to_string())
    );
    f.drop().await;
}

#[tokio::test]
async fn the_background_sender_delivers_queued_messages_until_shut_down() {
    // Arrange
    let f = Fixture::new().await;
    let sender = sender::OutboundSender::spawn(
        f.db().clone(),
        f.options("background"),
        std::time::Duration::from_millis(50),
    );

    // Act
    let id = f.approved("Sent by the loop").await;
    let mut status = f.status(id).await;
    for _ in 0..100 {
        if status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        status = f.status(id).await;
    }
    sender.shutdown().await;

    // Assert
    assert_eq!(status, "sent");
    assert_eq!(f.posted_to_first().len(), 1);
    f.drop().await;
}

#[tokio::test]
async fn retryable_failures_give_up_after_the_maximum_attempts() {
    // Arrange: two tries allowed, Chatwoot rate-limits both.
    let f = Fixture::new().await;
    let id = f.approved("Persistent").await;
    f.test
        .run(&format!(
            "update outbound_messages set max_attempts = 2 where id = '{id}'"
        ))
        .await;
    f.fake.inject_rate_limit(2, None);

    // Act
    let first = f.send().await;
    let second = f.send().await;
    let third = f.send().await;

    // Assert
    assert_eq!(first.retry_scheduled, 1, "{first:?}");
    assert_eq!(second.failed, 1, "{second:?}");
    assert!(third.is_idle());
    assert_eq!(f.status(id).await, "failed");
    assert_eq!(f.attempt_statuses(id).await, ["failed", "failed"]);
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from outbound_attempts where outbound_message_id = '{id}' \
                 and attempt_no = 2 and retryable = false and http_status = 429"
            ))
            .await,
        1,
        "the last attempt says no retry follows"
    );
    assert!(f.posted_to_first().is_empty());
    f.drop().await;
}
