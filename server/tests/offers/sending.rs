//! Sending: an approved offer becomes exactly one queued, approved outbound message; nothing
//! else is ever sent, whatever order the mutations come in. Answers and expiry close it.
use chrono::{Duration, Utc};
use entity::enums::OfferStatus;
use server::{
    domain::offers::{self, Decision, OfferPatch},
    kernel::DomainError,
};
use uuid::Uuid;

use crate::helpers::OfferFixtures;
use crate::helpers::{TestDb, World, conflict, line, offer_for};

/// An offer of `w.author` with a 15 % discount (above the default threshold).
async fn draft(test: &TestDb, w: &World) -> Uuid {
    offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(
            w.account.id,
            &w.contact,
            vec![
                line("Seats", "10", "50", "15"),
                line("Setup", "1", "200", "0"),
            ],
        ),
    )
    .await
    .expect("draft")
    .offer
    .id
}

async fn approved(test: &TestDb, w: &World) -> Uuid {
    let id = draft(test, w).await;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("submitted");
    offers::approve_offer(
        &test.db,
        &w.scope,
        &w.approver.actor,
        id,
        Decision::default(),
    )
    .await
    .expect("approved");
    id
}

#[tokio::test]
async fn sending_an_approved_offer_queues_exactly_one_approved_message_into_the_latest_conversation()
 {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let now = Utc::now();
    test.conversation(&w.scope, 1, &w.contact, 1, &[], now - Duration::days(3))
        .await;
    let latest = test
        .conversation(&w.scope, 2, &w.contact, 1, &[], now - Duration::hours(1))
        .await;
    let id = approved(&test, &w).await;

    // Act
    let sent = offers::send_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("queued");

    // Assert
    assert_eq!(
        sent.offer.status,
        OfferStatus::Approved,
        "sent once the sender says so"
    );
    let message = sent.offer.outbound_message_id.expect("message id stored");
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from outbound_messages where id = '{message}' \
             and status = 'queued' and channel = 'chatwoot' and origin_kind = 'offer' \
             and origin_id = '{id}' and contact_global_id = '{}' \
             and conversation_global_id = '{latest}' \
             and approved_at is not null and approved_by = '{}' and created_by = '{}' \
             and queued_at is not null",
            w.contact, w.approver.id, w.author.id
        ))
        .await,
        1
    );
    assert_eq!(test.count("outbound_messages").await, 1);
    let content = test
        .text(&format!(
            "select content from outbound_messages where id = '{message}'"
        ))
        .await;
    assert!(content.starts_with("Annual plan"), "{content}");
    assert!(
        content.contains("- Seats: 10 x 50.00 EUR, -15% = 425.00 EUR"),
        "{content}"
    );
    assert!(content.contains("Total: 625.00 EUR"), "{content}");
    assert_eq!(test.audits("offer.send_queued").await, 1);
    test.drop().await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Submit,
    Approve,
    Reject,
    Edit,
    Send,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Draft,
    Pending,
    Approved,
    Rejected,
}

/// What the rules say `op` does in `state` (queued: whether a message exists already):
/// `Some(next)` when it is allowed.
fn expected(op: Op, state: Model, queued: bool) -> Option<(Model, bool)> {
    match (op, state) {
        (Op::Submit, Model::Draft) => Some((Model::Pending, queued)),
        (Op::Approve, Model::Pending) => Some((Model::Approved, queued)),
        (Op::Reject, Model::Pending) => Some((Model::Rejected, queued)),
        (Op::Edit, Model::Draft | Model::Rejected) => Some((Model::Draft, queued)),
        (Op::Send, Model::Approved) if !queued => Some((Model::Approved, true)),
        _ => None,
    }
}

#[tokio::test]
async fn an_offer_is_sent_once_and_only_after_approval_whatever_the_order_of_mutations() {
    // Arrange: every sequence of four mutations, each on a fresh offer.
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let ops = [Op::Submit, Op::Approve, Op::Reject, Op::Edit, Op::Send];
    let mut sequences = vec![vec![]];
    for _ in 0..4 {
        sequences = sequences
            .into_iter()
            .flat_map(|s: Vec<Op>| {
                ops.iter().map(move |op| {
                    let mut next = s.clone();
                    next.push(*op);
                    next
                })
            })
            .collect();
    }
    let mut total_sends = 0;

    for sequence in &sequences {
        let id = draft(&test, &w).await;
        let (mut state, mut queued) = (Model::Draft, false);
        for op in sequence {
            // Act
            let result = match op {
                Op::Submit => offers::submit_offer(&test.db, &w.scope, &w.author.actor, id).await,
                Op::Approve => {
                    let decision = Decision::default();
                    offers::approve_offer(&test.db, &w.scope, &w.approver.actor, id, decision).await
                }
                Op::Reject => {
                    let decision = Decision {
                        comment: Some("no".to_owned()),
                        evidence: vec![],
                    };
                    offers::reject_offer(&test.db, &w.scope, &w.approver.actor, id, decision).await
                }
                Op::Edit => {
                    let patch = OfferPatch {
                        notes: Some(Some("edited".to_owned())),
                        ..OfferPatch::default()
                    };
                    offers::update_offer(&test.db, &w.scope, &w.author.actor, id, patch).await
                }
                Op::Send => offers::send_offer(&test.db, &w.scope, &w.author.actor, id).await,
            };

            // Assert: allowed exactly when the rules allow it, refused as a conflict otherwise.
            match (expected(*op, state, queued), result) {
                (Some((next, next_queued)), Ok(_)) => {
                    state = next;
                    queued = next_queued;
                }
                (None, Err(DomainError::Conflict(_))) => {}
                (wanted, got) => panic!("{sequence:?}: {op:?} wanted {wanted:?}, got {got:?}"),
            }
        }
        let messages = test
            .scalar(&format!(
                "select count(*) from outbound_messages where origin_id = '{id}'"
            ))
            .await;
        assert_eq!(messages, i64::from(queued), "{sequence:?}");
        if queued {
            total_sends += 1;
            assert_eq!(
                test.scalar(&format!(
                    "select count(*) from outbound_messages m join offers o \
                     on o.outbound_message_id = m.id \
                     where o.id = '{id}' and o.status = 'approved' and m.status = 'queued' \
                       and m.approved_at is not null"
                ))
                .await,
                1,
                "{sequence:?}"
            );
        }
    }
    assert_eq!(sequences.len(), 625);
    assert!(total_sends > 0, "some sequences reach a send");
    test.drop().await;
}

#[tokio::test]
async fn a_failed_message_may_be_replaced_but_a_live_one_never_twice() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let id = approved(&test, &w).await;
    let first = offers::send_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("queued")
        .offer
        .outbound_message_id
        .expect("message");

    // Act
    let again = offers::send_offer(&test.db, &w.scope, &w.author.actor, id).await;
    test.exec(
        "update outbound_messages set status = 'failed' where id = $1",
        [first.into()],
    )
    .await;
    let retried = offers::send_offer(&test.db, &w.scope, &w.author.actor, id)
        .await
        .expect("queued again");

    // Assert
    assert!(conflict(again).contains("already queued"));
    assert_ne!(retried.offer.outbound_message_id, Some(first));
    assert_eq!(test.count("outbound_messages").await, 2);
    test.drop().await;
}

#[tokio::test]
async fn the_customers_answer_is_recorded_only_for_a_sent_offer() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let accepted = approved(&test, &w).await;
    let declined = approved(&test, &w).await;

    // Act
    let too_early = offers::record_answer(
        &test.db,
        &w.scope,
        &w.author.actor,
        accepted,
        true,
        Decision::default(),
    )
    .await;
    // What the outbound sender does once Chatwoot has the message.
    test.exec("update offers set status = 'sent', sent_at = now()", [])
        .await;
    let yes = offers::record_answer(
        &test.db,
        &w.scope,
        &w.author.actor,
        accepted,
        true,
        Decision {
            comment: Some("Signed on the call".to_owned()),
            evidence: vec![],
        },
    )
    .await
    .expect("accepted");
    let no = offers::record_answer(
        &test.db,
        &w.scope,
        &w.author.actor,
        declined,
        false,
        Decision::default(),
    )
    .await
    .expect("declined");
    let twice = offers::record_answer(
        &test.db,
        &w.scope,
        &w.author.actor,
        accepted,
        false,
        Decision::default(),
    )
    .await;

    // Assert
    assert!(conflict(too_early).contains("sent offers"));
    assert_eq!(yes.offer.status, OfferStatus::Accepted);
    assert!(yes.offer.closed_at.is_some());
    assert_eq!(no.offer.status, OfferStatus::Declined);
    assert!(conflict(twice).contains("accepted"));
    assert_eq!(test.audits("offer.accepted").await, 1);
    assert_eq!(test.audits("offer.declined").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn offers_past_their_validity_expire_and_their_queued_message_is_cancelled() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let queued = approved(&test, &w).await;
    let message = offers::send_offer(&test.db, &w.scope, &w.author.actor, queued)
        .await
        .expect("queued")
        .offer
        .outbound_message_id
        .expect("message");
    let sent = approved(&test, &w).await;
    let still_valid = approved(&test, &w).await;
    let draft = draft(&test, &w).await;
    test.exec(
        "update offers set status = 'sent', sent_at = now() where id = $1",
        [sent.into()],
    )
    .await;
    test.exec(
        "update offers set valid_until = now() - interval '1 hour' where id <> $1",
        [still_valid.into()],
    )
    .await;
    test.exec(
        "update offers set valid_until = now() + interval '1 day' where id = $1",
        [still_valid.into()],
    )
    .await;

    // Act
    let expired = offers::expire_due(&test.db, Utc::now())
        .await
        .expect("expired");
    let again = offers::expire_due(&test.db, Utc::now())
        .await
        .expect("nothing");

    // Assert
    assert_eq!((expired, again), (2, 0));
    for (id, status) in [
        (queued, "expired"),
        (sent, "expired"),
        (still_valid, "approved"),
        (draft, "draft"),
    ] {
        assert_eq!(
            test.text(&format!("select status from offers where id = '{id}'"))
                .await,
            status
        );
    }
    assert_eq!(
        test.text(&format!(
            "select status from outbound_messages where id = '{message}'"
        ))
        .await,
        "cancelled"
    );
    assert_eq!(test.audits("offer.expired").await, 2);
    let late = offers::send_offer(&test.db, &w.scope, &w.author.actor, queued).await;
    assert!(conflict(late).contains("expired"));
    test.drop().await;
}
