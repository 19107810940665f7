//! Signals and next-best-actions: detection on a labelled set the test ships, idempotent
//! re-runs, similarity to editable example phrases with chunk evidence, account attachment,
//! the NBA rules and lifecycle with audit, and tenant isolation.
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
    serde_json::from_str(include_str!("../fixtures/signals_labelled.json")).expect("fixture")
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
async fn rules_raise_actions_once_with_reason_and_evidence() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let owner = test.member(&scope, "owner").await.id;
    let (account, contact, conversation) = customer(&test, &scope, 1).await;
    exec(
        &test.db,
        "update crm_accounts set owner_user_id = $2 where id = $1",
        [account.into(), owner.into()],
    )
    .await;
    let churn = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "We will not renew next year.",
        now() - Duration::days(4),
    )
    .await;
    let price = message(
        &test,
        &scope,
        &conversation,
        &contact,
        2,
        "incoming",
        "How much would 20 more seats cost?",
        now() - Duration::days(4),
    )
    .await;
    detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        &[churn.clone(), price],
        &DetectOptions::default(),
    )
    .await
    .expect("detect");

    // Act
    let first = actions::generate(&test.db, &scope, now())
        .await
        .expect("generate");
    let second = actions::generate(&test.db, &scope, now())
        .await
        .expect("again");

    // Assert
    let raised: BTreeMap<&str, u64> = first
        .raised
        .iter()
        .copied()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        raised,
        BTreeMap::from([
            ("buying_intent_without_opportunity", 1),
            ("churn_risk_unanswered", 1),
            ("upsell_propose", 1),
        ])
    );
    assert_eq!(second.total(), 0, "generation is idempotent");
    let inbox = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 50, None)
        .await
        .expect("inbox")
        .items;
    assert_eq!(inbox.len(), 3);
    let call = &inbox[0];
    assert_eq!(call.rule_key, "churn_risk_unanswered");
    assert_eq!(call.priority, 90);
    assert_eq!(call.assignee_user_id, Some(owner));
    assert!(call.title.contains("Customer 1"), "{}", call.title);
    assert!(call.reason.contains("We will not renew"), "{}", call.reason);
    let evidence = call.evidence_refs.as_array().expect("array");
    assert!(
        evidence
            .iter()
            .any(|e| e["kind"] == "message" && e["id"] == churn.as_str())
    );
    assert!(evidence.iter().any(|e| e["kind"] == "signal"));
    test.drop().await;
}

#[tokio::test]
async fn a_reply_within_three_days_means_no_call_and_an_open_opportunity_means_no_create_task() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (account, contact, conversation) = customer(&test, &scope, 1).await;
    let churn = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "Please cancel our subscription.",
        now() - Duration::days(5),
    )
    .await;
    message(
        &test,
        &scope,
        &conversation,
        &contact,
        2,
        "outgoing",
        "Sorry to hear that, can we talk?",
        now() - Duration::days(4),
    )
    .await;
    let intent = message(
        &test,
        &scope,
        &conversation,
        &contact,
        3,
        "incoming",
        "We are ready to buy.",
        now() - Duration::hours(2),
    )
    .await;
    server::domain::crm::opportunities::create_opportunity(
        &test.db,
        &scope,
        &Actor::system("test"),
        server::domain::crm::opportunities::NewOpportunity {
            account_id: account,
            name: "Renewal".into(),
            amount: "100".parse().expect("dec"),
            currency: "EUR".into(),
            ..Default::default()
        },
    )
    .await
    .expect("opportunity");
    detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        &[churn, intent],
        &DetectOptions::default(),
    )
    .await
    .expect("detect");

    // Act
    let report = actions::generate(&test.db, &scope, now())
        .await
        .expect("generate");

    // Assert
    assert_eq!(report.total(), 0, "{report:?}");
    test.drop().await;
}

#[tokio::test]
async fn the_lifecycle_is_audited_and_refuses_steps_it_does_not_allow() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let (_, contact, conversation) = customer(&test, &scope, 1).await;
    let m1 = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "This is unacceptable.",
        now() - Duration::hours(1),
    )
    .await;
    let m2 = message(
        &test,
        &scope,
        &conversation,
        &contact,
        2,
        "incoming",
        "Zendesk is cheaper elsewhere.",
        now() - Duration::hours(1),
    )
    .await;
    detection::detect(
        &test.db,
        &scope,
        &HashingProvider::default(),
        &[m1, m2],
        &DetectOptions::default(),
    )
    .await
    .expect("detect");
    actions::generate(&test.db, &scope, now())
        .await
        .expect("generate");
    let inbox = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 50, None)
        .await
        .expect("inbox")
        .items;
    assert_eq!(inbox.len(), 2);
    let (a, b) = (inbox[0].id, inbox[1].id);

    // Act
    let accepted = actions::decide(&test.db, &scope, &actor, a, Decision::Accept)
        .await
        .expect("accept");
    let done = actions::decide(&test.db, &scope, &actor, a, Decision::Complete)
        .await
        .expect("done");
    let again = actions::decide(&test.db, &scope, &actor, a, Decision::Accept).await;
    let dismissed = actions::decide(
        &test.db,
        &scope,
        &actor,
        b,
        Decision::Dismiss(Some("Handled by phone".into())),
    )
    .await
    .expect("dismiss");
    let regenerated = actions::generate(&test.db, &scope, now())
        .await
        .expect("regenerate");

    // Assert
    assert_eq!(accepted.status, NbaStatus::Accepted);
    assert_eq!(accepted.decided_by, Some(user));
    assert_eq!(done.status, NbaStatus::Done);
    assert!(done.completed_at.is_some());
    assert!(matches!(again, Err(DomainError::Conflict(_))));
    assert_eq!(
        dismissed.dismiss_reason.as_deref(),
        Some("Handled by phone")
    );
    assert_eq!(
        regenerated.total(),
        0,
        "a dismissed or done action is not raised again"
    );
    assert_eq!(test.audits("crm.nba.accepted").await, 1);
    assert_eq!(test.audits("crm.nba.done").await, 1);
    assert_eq!(test.audits("crm.nba.dismissed").await, 1);
    let inbox = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 50, None)
        .await
        .expect("inbox");
    assert_eq!(inbox.total_count, 0);
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

/// Runs every due job with the server's own job registry; returns the kinds that ran.
async fn drain_jobs(test: &TestDb) -> Vec<String> {
    let registry = server::workers::registry(&server::config::Config::default());
    let worker = server::workers::WorkerSettings::named("test");
    let mut ran = Vec::new();
    while let Some(done) = server::workers::execute_one(&test.db, &registry, &worker)
        .await
        .expect("queue reachable")
    {
        ran.push(done.kind);
    }
    ran
}

#[tokio::test]
async fn the_jobs_turn_a_new_message_into_a_signal_a_score_and_an_action_and_the_scheduler_refreshes_once()
 {
    // Arrange: a linked customer (the link queues a refresh) and a churn message four days
    // old, handed to detection the way the indexing job does.
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let quiet = test.project("no-accounts").await;
    let (account, contact, conversation) = customer(&test, &scope, 1).await;
    let churn = message(
        &test,
        &scope,
        &conversation,
        &contact,
        1,
        "incoming",
        "We will not renew our contract.",
        Utc::now() - Duration::days(4),
    )
    .await;
    detection::enqueue_detection(&test.db, &scope, &[churn], 0, 0)
        .await
        .expect("queued");

    // Act
    let ran = drain_jobs(&test).await;
    let first_tick = server::workers::scheduler::enqueue_due_crm_refreshes(
        &test.db,
        std::time::Duration::from_secs(3_600),
    )
    .await
    .expect("tick");
    let second_tick = server::workers::scheduler::enqueue_due_crm_refreshes(
        &test.db,
        std::time::Duration::from_secs(3_600),
    )
    .await
    .expect("tick");
    let scheduled = drain_jobs(&test).await;

    // Assert
    assert!(ran.contains(&"crm_detect_signals".to_owned()), "{ran:?}");
    assert!(ran.contains(&"crm_refresh".to_owned()), "{ran:?}");
    let found = all_signals(&test, &scope).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].account_id, Some(account));
    let inbox = actions::list_actions(&test.db, &scope, &NbaFilter::default(), 10, None)
        .await
        .expect("inbox")
        .items;
    assert!(
        inbox.iter().any(|a| a.rule_key == "churn_risk_unanswered"),
        "{inbox:?}"
    );
    assert!(
        test.scalar(&format!(
            "select count(*) from health_scores where account_id = '{account}'"
        ))
        .await
            >= 1
    );
    assert_eq!(
        first_tick, 1,
        "one refresh for the project with accounts, none for {quiet:?}"
    );
    assert_eq!(
        second_tick, 0,
        "a refresh already queued or recent is not queued again"
    );
    assert_eq!(scheduled, vec!["crm_refresh".to_owned()]);
    test.drop().await;
}

/// The account ids of each queued or running `crm_refresh` job, by job id (`None` = all).
async fn refresh_jobs(test: &TestDb) -> Vec<(String, Option<BTreeSet<String>>)> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = test
        .db
        .query_all_raw(Statement::from_string(
            test.db.get_database_backend(),
            "select status::text as status, payload from scheduled_jobs \
             where kind = 'crm_refresh' order by id"
                .to_owned(),
        ))
        .await
        .expect("jobs");
    rows.into_iter()
        .map(|row| {
            let status: String = row.try_get("", "status").expect("status");
            let payload: serde_json::Value = row.try_get("", "payload").expect("payload");
            let ids = payload["account_ids"].as_array().map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_owned))
                    .collect()
            });
            (status, ids)
        })
        .collect()
}

#[tokio::test]
async fn refreshes_queued_in_a_burst_coalesce_into_one_job_that_names_every_account() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());

    // Act: three changes in a row, one of them to an account already waiting.
    for accounts in [vec![a], vec![b], vec![a]] {
        server::domain::signals::enqueue_refresh(&test.db, &scope, &accounts)
            .await
            .expect("queued");
    }

    // Assert
    let expected: BTreeSet<String> = [a.to_string(), b.to_string()].into();
    assert_eq!(
        refresh_jobs(&test).await,
        vec![("queued".to_owned(), Some(expected))]
    );
    test.drop().await;
}

#[tokio::test]
async fn a_running_refresh_is_never_joined_and_a_queued_full_refresh_covers_new_accounts() {
    // Arrange: a worker has claimed the refresh of `a`.
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (a, b, c) = (
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
        uuid::Uuid::new_v4(),
    );
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[a])
        .await
        .expect("queued");
    server::workers::queue::claim(
        &test.db,
        "test-worker",
        &["crm_refresh".to_owned()],
        std::time::Duration::from_secs(60),
    )
    .await
    .expect("queue reachable")
    .expect("claimed");

    // Act: `b` changes while `a`'s refresh runs; then a full refresh is queued and `c` changes.
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[b])
        .await
        .expect("queued");
    server::workers::queue::enqueue(
        &test.db,
        &scope,
        server::workers::queue::NewJob::new("crm_refresh", serde_json::json!({})),
    )
    .await
    .expect("queued");
    server::domain::signals::enqueue_refresh(&test.db, &scope, &[c])
        .await
        .expect("queued");

    // Assert: `b` got its own job (the running one may have read its list already); `c` is
    // left to the full refresh.
    assert_eq!(
        refresh_jobs(&test).await,
        vec![
            ("running".to_owned(), Some([a.to_string()].into())),
            ("queued".to_owned(), Some([b.to_string()].into())),
            ("queued".to_owned(), None),
        ]
    );
    test.drop().await;
}
