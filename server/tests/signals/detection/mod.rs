//! Signals and next-best-actions: detection on a labelled set the test ships, idempotent
//! re-runs, similarity to editable example phrases with chunk evidence, account attachment,
//! the NBA rules and lifecycle with audit, and tenant isolation.
mod jobs;
mod next_best_actions;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, TimeZone, Utc};
use entity::enums::{NbaStatus, SignalDetector, SignalStatus, SignalType};
use serde::Deserialize;
use server::{
    domain::{
        crm::contacts,
        search::{self, Chunker},
        signals::{
            actions::{self, Decision, NbaFilter},
            detection::{self, DetectOptions, SignalFilter},
        },
    },
    integrations::embeddings::HashingProvider,
    kernel::{Actor, DomainError, Scope},
};

use crate::helpers::CrmFixtures;
use crate::helpers::{TestDb, exec};

#[derive(Deserialize)]
struct Labelled {
    messages: Vec<LabelledMessage>,
}

#[derive(Deserialize)]
struct LabelledMessage {
    text: String,
    expect: Vec<String>,
}

fn labelled() -> Labelled {
    serde_json::from_str(include_str!("../../fixtures/signals_labelled.json")).expect("fixture")
}

/// Inserts message `number` of conversation `conversation` from contact `contact`.
#[allow(clippy::too_many_arguments)]
async fn message(
    test: &TestDb,
    scope: &Scope,
    conversation: &str,
    contact: &str,
    number: i64,
    message_type: &str,
    text: &str,
    at: chrono::DateTime<Utc>,
) -> String {
    let account = crate::helpers::chatwoot_account(scope);
    let id = format!("cwmsg:{}:{account}:{number}", scope.project_id());
    exec(
        &test.db,
        "insert into cw_messages (id, project_id, account_scope_id, account_id, message_id, \
           conversation_global_id, contact_global_id, private, message_type, content, data, \
           created_at) values ($1, $2, $3, $4, $5, $6, $7, false, $8, $9, '{}', $10)",
        [
            id.clone().into(),
            scope.project_id().into(),
            scope.account_scope_id().into(),
            account.into(),
            number.into(),
            conversation.to_owned().into(),
            contact.to_owned().into(),
            message_type.into(),
            text.into(),
            at.into(),
        ],
    )
    .await;
    id
}

/// A contact with a conversation, linked (confirmed) to a new account; returns
/// (account id, contact, conversation).
async fn customer(test: &TestDb, scope: &Scope, n: i64) -> (uuid::Uuid, String, String) {
    let contact = test.contact(scope, n, None, None).await;
    let conversation = test.conversation(scope, n).await;
    exec(
        &test.db,
        "update cw_conversations set contact_global_id = $2 where id = $1",
        [conversation.clone().into(), contact.clone().into()],
    )
    .await;
    let account = test.account(scope, &format!("Customer {n}"), None).await;
    contacts::link_contact(
        &test.db,
        scope,
        &Actor::system("test"),
        account.id,
        &contact,
        None,
    )
    .await
    .expect("link");
    (account.id, contact, conversation)
}

fn types_of(signals: &[detection::Signal], message: &str) -> BTreeSet<String> {
    signals
        .iter()
        .filter(|s| s.message_global_id.as_deref() == Some(message))
        .map(|s| detection::type_str(s.signal_type).to_owned())
        .collect()
}

async fn all_signals(test: &TestDb, scope: &Scope) -> Vec<detection::Signal> {
    detection::list_signals(&test.db, scope, &SignalFilter::default(), 500, None)
        .await
        .expect("list")
        .items
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("time")
}

#[tokio::test]
async fn the_labelled_messages_get_their_expected_types_with_message_evidence() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (account, contact, conversation) = customer(&test, &scope, 1).await;
    let set = labelled();
    let mut ids = Vec::new();
    for (i, m) in set.messages.iter().enumerate() {
        let at = now() - Duration::minutes(100 - i as i64);
        ids.push(
            message(
                &test,
                &scope,
                &conversation,
                &contact,
                100 + i as i64,
                "incoming",
                &m.text,
                at,
            )
            .await,
        );
    }
    // Our own reply says nothing about the customer even when it has the words.
    let reply = message(
        &test,
        &scope,
        &conversation,
        &contact,
        999,
        "outgoing",
        "Sorry to hear you will not renew; here is our price list.",
        now(),
    )
    .await;
    ids.push(reply.clone());

    // Act
    let report = detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        &ids,
        &DetectOptions::default(),
    )
    .await
    .expect("detect");

    // Assert
    let found = all_signals(&test, &scope).await;
    let mut mismatches = BTreeMap::new();
    for (m, id) in set.messages.iter().zip(&ids) {
        let expected: BTreeSet<String> = m.expect.iter().cloned().collect();
        let got = types_of(&found, id);
        if got != expected {
            mismatches.insert(m.text.clone(), (expected, got));
        }
    }
    assert!(
        mismatches.is_empty(),
        "expected vs detected: {mismatches:#?}"
    );
    assert!(types_of(&found, &reply).is_empty());
    assert_eq!(report.messages_scanned, set.messages.len() as u64);
    assert_eq!(report.signals_created, found.len() as u64);
    for s in &found {
        assert_eq!(s.account_id, Some(account));
        assert_eq!(s.contact_global_id.as_deref(), Some(contact.as_str()));
        assert_eq!(
            s.conversation_global_id.as_deref(),
            Some(conversation.as_str())
        );
        let evidence = s.evidence_refs.as_array().expect("array");
        assert!(evidence.iter().any(|e| e["kind"] == "message"
            && e["id"] == s.message_global_id.clone().unwrap_or_default().as_str()));
        assert!(
            s.meta["rules"][0]["rule"].is_string(),
            "rule hits name their rule"
        );
        assert!(s.confidence > 0.0 && s.confidence <= 1.0);
    }
    test.drop().await;
}

#[tokio::test]
async fn re_running_detection_creates_no_duplicates_and_keeps_triage() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (_, contact, conversation) = customer(&test, &scope, 1).await;
    let id = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "Please cancel our subscription, this is unacceptable.",
        now(),
    )
    .await;
    let provider = HashingProvider::default();
    detection::detect(
        &test.db,
        &scope,
        &provider,
        std::slice::from_ref(&id),
        &DetectOptions::default(),
    )
    .await
    .expect("first");
    let first = all_signals(&test, &scope).await;
    let churn = first
        .iter()
        .find(|s| s.signal_type == SignalType::ChurnRisk)
        .expect("churn");
    detection::set_status(
        &test.db,
        &scope,
        &Actor::system("test"),
        churn.id,
        SignalStatus::Dismissed,
    )
    .await
    .expect("dismiss");

    // Act
    let again = detection::detect(
        &test.db,
        &scope,
        &provider,
        std::slice::from_ref(&id),
        &DetectOptions::default(),
    )
    .await
    .expect("again");
    let backfilled = detection::backfill(&test.db, &scope, &Actor::system("test"))
        .await
        .expect("backfill");

    // Assert
    assert_eq!((again.signals_created, again.signals_updated), (0, 0));
    let second = all_signals(&test, &scope).await;
    assert_eq!(second.len(), first.len());
    assert_eq!(second.len(), 2);
    let churn_after = second.iter().find(|s| s.id == churn.id).expect("same row");
    assert_eq!(
        churn_after.status,
        SignalStatus::Dismissed,
        "a re-run never reopens triage"
    );
    assert_eq!(backfilled, 1);
    assert_eq!(
        test.scalar("select count(*) from scheduled_jobs where kind = 'crm_detect_signals'")
            .await,
        1
    );
    assert_eq!(test.audits("crm.signal.dismissed").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn similarity_to_an_edited_example_phrase_finds_what_no_rule_does_and_cites_the_chunk() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (_, contact, conversation) = customer(&test, &scope, 1).await;
    let text =
        "Our board keeps asking whether your roadmap includes an offline mode for field teams.";
    let id = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        text,
        now(),
    )
    .await;
    assert!(detection::rule_hits(text).is_empty(), "no rule covers it");
    let provider = HashingProvider::default();
    let chunker = Chunker::default();
    search::reindex_project(&test.db, &scope, &chunker, 100)
        .await
        .expect("index");
    let before = detection::detect(
        &test.db,
        &scope,
        &provider,
        std::slice::from_ref(&id),
        &DetectOptions::default(),
    )
    .await
    .expect("before vectors");
    while !search::process_one_batch(&test.db, &provider, "w", 64)
        .await
        .expect("embed")
        .is_idle()
    {}
    detection::add_phrase(
        &test.db,
        &scope,
        &Actor::system("test"),
        SignalType::BuyingIntent,
        "The board is asking whether the roadmap includes an offline mode for field teams",
        Some("en"),
    )
    .await
    .expect("phrase");

    // Act
    let after = detection::detect(
        &test.db,
        &scope,
        &provider,
        std::slice::from_ref(&id),
        &DetectOptions::default(),
    )
    .await
    .expect("after vectors");

    // Assert
    assert_eq!(
        before.waiting_for_vectors,
        vec![id.clone()],
        "similarity waits for the chunk's vector"
    );
    assert_eq!(before.signals_created, 0);
    assert!(after.waiting_for_vectors.is_empty());
    let found = all_signals(&test, &scope).await;
    assert_eq!(found.len(), 1, "{found:#?}");
    let s = &found[0];
    assert_eq!(s.signal_type, SignalType::BuyingIntent);
    assert_eq!(s.detector, SignalDetector::Similarity);
    assert!(s.confidence >= 0.6);
    let evidence = s.evidence_refs.as_array().expect("array");
    assert!(evidence.iter().any(|e| e["kind"] == "chunk"));
    assert!(
        evidence
            .iter()
            .any(|e| e["kind"] == "message" && e["id"] == id.as_str())
    );
    assert!(
        s.meta["similarity"]["phrase"]
            .as_str()
            .is_some_and(|p| p.contains("offline mode"))
    );
    test.drop().await;
}

#[tokio::test]
async fn signals_of_an_unlinked_contact_join_the_account_when_the_link_is_confirmed() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let contact = test.contact(&scope, 5, None, None).await;
    let conversation = test.conversation(&scope, 5).await;
    let id = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "How much does it cost per seat?",
        now(),
    )
    .await;
    detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        &[id],
        &DetectOptions::default(),
    )
    .await
    .expect("detect");
    let account = test.account(&scope, "Late Link", None).await;

    // Act
    contacts::link_contact(
        &test.db,
        &scope,
        &Actor::system("test"),
        account.id,
        &contact,
        None,
    )
    .await
    .expect("link");

    // Assert
    let found = all_signals(&test, &scope).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].account_id, Some(account.id));
    test.drop().await;
}

#[tokio::test]
async fn another_project_sees_none_of_the_signals_or_actions() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let other = test.project("q").await;
    let (_, contact, conversation) = customer(&test, &scope, 1).await;
    let id = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "This is unacceptable.",
        now(),
    )
    .await;
    detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        std::slice::from_ref(&id),
        &DetectOptions::default(),
    )
    .await
    .expect("detect");
    actions::generate(&test.db, &scope, now())
        .await
        .expect("generate");
    let signal = all_signals(&test, &scope).await.remove(0);
    let action = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 10, None)
        .await
        .expect("inbox")
        .items
        .remove(0);

    // Act
    let foreign_detect = detection::detect(
        &test.db,
        &other,
        &HashingProvider::default(),
        &[id],
        &DetectOptions::default(),
    )
    .await
    .expect("detect other");
    let signals_seen = all_signals(&test, &other).await;
    let actions_seen = actions::list_actions(&test.db, &other, &NbaFilter::default(), 10, None)
        .await
        .expect("inbox other");
    let get = detection::get_signal(&test.db, &other, signal.id).await;
    let triage = detection::set_status(
        &test.db,
        &other,
        &Actor::system("x"),
        signal.id,
        SignalStatus::Resolved,
    )
    .await;
    let decide = actions::decide(
        &test.db,
        &other,
        &Actor::system("x"),
        action.id,
        Decision::Accept,
    )
    .await;

    // Assert
    assert_eq!(foreign_detect.messages_scanned, 0);
    assert!(signals_seen.is_empty());
    assert_eq!(actions_seen.total_count, 0);
    assert!(matches!(get, Err(DomainError::NotFound(_))));
    assert!(matches!(triage, Err(DomainError::NotFound(_))));
    assert!(matches!(decide, Err(DomainError::NotFound(_))));
    test.drop().await;
}
