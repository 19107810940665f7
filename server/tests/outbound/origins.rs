//! Messages other modules queue straight into `outbound_messages` (campaigns, offers): the
//! sender picks them up, respects the campaign's state, and reports outcomes back in the same
//! transaction.
use uuid::Uuid;

use crate::helpers::Fixture;

/// A campaign in `status` with one member whose message is queued the way the campaign
/// module writes it. Returns (campaign, member, message).
async fn campaign_message(f: &Fixture, status: &str, contact: &str) -> (Uuid, Uuid, Uuid) {
    let (campaign, member, message) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (p, a) = (f.scope.project_id(), f.scope.account_scope_id());
    let approved_by = f.approver.user_id.expect("a person");
    f.test
        .run(&format!(
            "insert into campaigns (id, project_id, account_scope_id, name, channel, status, \
               approved_by, approved_at) \
             values ('{campaign}', '{p}', '{a}', 'Spring', 'chatwoot', '{status}', \
               '{approved_by}', now()); \
             insert into outbound_messages (id, project_id, account_scope_id, channel, \
               contact_global_id, origin_kind, origin_id, content, status, approved_by, \
               approved_at, queued_at) \
             values ('{message}', '{p}', '{a}', 'chatwoot', '{contact}', 'campaign', \
               '{campaign}', 'Spring sale starts today', 'queued', '{approved_by}', now(), now()); \
             insert into campaign_members (id, project_id, account_scope_id, campaign_id, \
               contact_global_id, status, outbound_message_id) \
             values ('{member}', '{p}', '{a}', '{campaign}', '{contact}', 'queued', '{message}');"
        ))
        .await;
    (campaign, member, message)
}

#[tokio::test]
async fn a_paused_campaigns_queued_message_is_deferred_not_sent() {
    // Arrange
    let f = Fixture::new().await;
    let (campaign, member, message) = campaign_message(&f, "paused", &f.contact.clone()).await;

    // Act
    let paused = f.send().await;
    let wait = f
        .test
        .scalar(&format!(
            "select extract(epoch from next_attempt_at - now())::bigint \
             from outbound_messages where id = '{message}'"
        ))
        .await;
    let still_paused = f.send().await;
    f.test
        .run(&format!(
            "update campaigns set status = 'running' where id = '{campaign}'; \
             update outbound_messages set next_attempt_at = now() where id = '{message}'"
        ))
        .await;
    let resumed = f.send().await;

    // Assert
    assert_eq!((paused.deferred, paused.claimed), (1, 0), "{paused:?}");
    assert!((50..=61).contains(&wait), "deferred by a minute: {wait}s");
    assert!(still_paused.is_idle(), "not looked at again before then");
    assert_eq!(resumed.sent, 1, "{resumed:?}");
    assert_eq!(f.posted_to_first().len(), 1);
    assert_eq!(
        f.attempt_statuses(message).await,
        ["sent"],
        "the pause counted no attempt"
    );
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select status from campaign_members where id = '{member}'"
            ))
            .await
            .as_deref(),
        Some("sent")
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from campaign_events where campaign_id = '{campaign}' \
                 and member_id = '{member}' and event_type = 'sent' \
                 and outbound_message_id = '{message}' and contact_global_id = '{}'",
                f.contact
            ))
            .await,
        1
    );
    f.drop().await;
}

#[tokio::test]
async fn a_cancelled_campaigns_message_is_cancelled_and_its_member_skipped() {
    // Arrange
    let f = Fixture::new().await;
    let (_, member, message) = campaign_message(&f, "cancelled", &f.contact.clone()).await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.cancelled, 1, "{report:?}");
    assert_eq!(f.status(message).await, "cancelled");
    assert!(f.posted_to_first().is_empty());
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select status from campaign_members where id = '{member}'"
            ))
            .await
            .as_deref(),
        Some("skipped")
    );
    f.drop().await;
}

#[tokio::test]
async fn a_campaign_message_to_an_opted_out_contact_marks_the_member_opted_out() {
    // Arrange
    let f = Fixture::new().await;
    let (campaign, member, message) = campaign_message(&f, "running", &f.contact.clone()).await;
    server::domain::outbound::policies::opt_out(
        f.db(),
        &f.scope,
        &f.author,
        &f.contact,
        "all",
        None,
        Vec::new(),
    )
    .await
    .expect("opted out");

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.blocked, 1, "{report:?}");
    assert_eq!(f.status(message).await, "blocked");
    assert_eq!(
        f.test
            .optional_text(&format!(
                "select status from campaign_members where id = '{member}'"
            ))
            .await
            .as_deref(),
        Some("opted_out")
    );
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from campaign_events where campaign_id = '{campaign}' \
                 and event_type = 'opted_out' and member_id = '{member}'"
            ))
            .await,
        1
    );
    f.drop().await;
}

#[tokio::test]
async fn a_sent_offer_message_marks_the_offer_sent() {
    // Arrange: an approved offer whose message the offers module queued.
    let f = Fixture::new().await;
    let (offer, message) = (Uuid::new_v4(), Uuid::new_v4());
    let (p, a, c) = (
        f.scope.project_id(),
        f.scope.account_scope_id(),
        f.contact.clone(),
    );
    f.test
        .run(&format!(
            "insert into outbound_messages (id, project_id, account_scope_id, channel, \
               contact_global_id, origin_kind, origin_id, content, status, approved_at, queued_at) \
             values ('{message}', '{p}', '{a}', 'chatwoot', '{c}', 'offer', '{offer}', \
               'Here is your offer', 'queued', now(), now()); \
             insert into offers (id, project_id, account_scope_id, contact_global_id, title, \
               currency, status, approved_at, outbound_message_id) \
             values ('{offer}', '{p}', '{a}', '{c}', 'Annual plan', 'EUR', 'approved', now(), \
               '{message}');"
        ))
        .await;

    // Act
    let report = f.send().await;

    // Assert
    assert_eq!(report.sent, 1, "{report:?}");
    assert_eq!(
        f.test
            .scalar(&format!(
                "select count(*) from offers where id = '{offer}' and status = 'sent' \
                 and sent_at is not null"
            ))
            .await,
        1
    );
    f.drop().await;
}
