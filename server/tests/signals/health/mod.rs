//! Health scores and the risk radar: scores and bands from known inputs, weights (custom and
//! invalid), trends and the quiet history, band drops and risk signals on the radar, triage
//! with audit, and tenant isolation.
mod risk_radar;

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::enums::{RiskItemStatus, RiskKind};
use serde_json::json;
use server::{
    domain::signals::{
        health::{self, Band, HealthScore, Measure, Trend},
        radar::{self, RadarFilter},
    },
    kernel::{Actor, DomainError, Scope},
};
use uuid::Uuid;

use crate::helpers::CrmFixtures;
use crate::helpers::{TestDb, exec};

/// The fixed `now` every score is computed at.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("a time")
}

fn hours(n: i64) -> Duration {
    Duration::hours(n)
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn sub_score(score: &HealthScore, measure: Measure) -> (Option<f64>, f64, i32) {
    let m = score.measure(measure).expect("measure present");
    (m.value, m.score, m.weight)
}

fn weight_fields(error: DomainError) -> Vec<String> {
    match error {
        DomainError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected validation, got {other:?}"),
    }
}

fn live() -> RadarFilter {
    RadarFilter::default()
}

/// An account with one confirmed contact whose resolved conversation had a turn answered in
/// an hour a day before `now`, and one open opportunity: 96.25, healthy.
async fn healthy_account(test: &TestDb, scope: &Scope, name: &str, number: i64) -> (Uuid, String) {
    let account = test.account(scope, name, None).await;
    let contact = test.contact(scope, number, None, None).await;
    test.confirmed_link(scope, account.id, &contact).await;
    let conversation = test
        .contact_conversation(scope, number * 100, &contact, "resolved")
        .await;
    test.cw_message(
        scope,
        number * 1000,
        &conversation,
        "incoming",
        false,
        now() - days(1),
    )
    .await;
    test.cw_message(
        scope,
        number * 1000 + 1,
        &conversation,
        "outgoing",
        false,
        now() - days(1) + hours(1),
    )
    .await;
    test.opportunity_in(scope, account.id, "lead", None).await;
    (account.id, contact)
}

#[tokio::test]
async fn score_and_band_follow_the_documented_measures() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Acme", None).await;
    let other = test.account(&scope, "Other", None).await;
    let linked = test.contact(&scope, 1, None, None).await;
    let unlinked = test.contact(&scope, 2, None, None).await;
    let suggested = test.contact(&scope, 3, None, None).await;
    test.confirmed_link(&scope, account.id, &linked).await;
    exec(
        &test.db,
        "insert into crm_account_contacts (project_id, account_scope_id, account_id, \
           contact_global_id, link_status) values ($1, $2, $3, $4, 'suggested')",
        [
            scope.project_id().into(),
            scope.account_scope_id().into(),
            account.id.into(),
            suggested.clone().into(),
        ],
    )
    .await;
    let open = test.contact_conversation(&scope, 10, &linked, "open").await;
    let resolved = test
        .contact_conversation(&scope, 11, &linked, "resolved")
        .await;
    let not_ours = test
        .contact_conversation(&scope, 12, &unlinked, "open")
        .await;
    let only_suggested = test
        .contact_conversation(&scope, 13, &suggested, "open")
        .await;
    // A 5-hour turn (a burst of two messages, a private note in between that is no reply).
    test.cw_message(&scope, 1, &open, "incoming", false, now() - days(10))
        .await;
    test.cw_message(
        &scope,
        2,
        &open,
        "incoming",
        false,
        now() - days(10) + Duration::minutes(10),
    )
    .await;
    test.cw_message(
        &scope,
        3,
        &open,
        "outgoing",
        true,
        now() - days(10) + hours(1),
    )
    .await;
    test.cw_message(
        &scope,
        4,
        &open,
        "outgoing",
        false,
        now() - days(10) + hours(5),
    )
    .await;
    // An 11-hour turn, and our last message six days ago.
    let slow = test
        .cw_message(&scope, 5, &resolved, "incoming", false, now() - days(20))
        .await;
    test.cw_message(
        &scope,
        6,
        &resolved,
        "outgoing",
        false,
        now() - days(20) + hours(11),
    )
    .await;
    let last = test
        .cw_message(&scope, 7, &resolved, "outgoing", false, now() - days(6))
        .await;
    // Not seen: after now, or in conversations of contacts not confirmed for the account.
    test.cw_message(&scope, 8, &open, "incoming", false, now() + days(1))
        .await;
    test.cw_message(&scope, 9, &not_ours, "incoming", false, now() - days(1))
        .await;
    test.cw_message(
        &scope,
        10,
        &only_suggested,
        "incoming",
        false,
        now() - days(1),
    )
    .await;
    // One risk signal counts; triaged, positive, old and other accounts' ones do not.
    let risk = test
        .signal_row(
            &scope,
            Some(account.id),
            "churn_risk",
            "open",
            0.8,
            now() - days(2),
        )
        .await;
    test.signal_row(
        &scope,
        Some(account.id),
        "complaint",
        "dismissed",
        0.8,
        now() - days(2),
    )
    .await;
    test.signal_row(
        &scope,
        Some(account.id),
        "buying_intent",
        "open",
        0.9,
        now() - days(1),
    )
    .await;
    test.signal_row(
        &scope,
        Some(account.id),
        "churn_risk",
        "open",
        0.9,
        now() - days(40),
    )
    .await;
    test.signal_row(
        &scope,
        Some(other.id),
        "churn_risk",
        "open",
        0.9,
        now() - days(1),
    )
    .await;
    let deal = test.opportunity_in(&scope, account.id, "lead", None).await;

    // Act
    let score = health::compute_account(&test.db, &scope, account.id, now())
        .await
        .expect("computed");

    // Assert
    // reply latency: (5 + 11) / 2 = 8 h -> 100 x (48 - 8) / 47 = 85.106
    assert_eq!(
        sub_score(&score, Measure::ReplyLatency),
        (Some(8.0), 85.11, 25)
    );
    assert_eq!(
        sub_score(&score, Measure::UnresolvedConversations),
        (Some(1.0), 80.0, 20)
    );
    assert_eq!(
        sub_score(&score, Measure::RecentSignals),
        (Some(1.0), 66.0, 25)
    );
    // activity recency: 6 days -> 100 x (60 - 6) / 57 = 94.737
    assert_eq!(
        sub_score(&score, Measure::ActivityRecency),
        (Some(6.0), 94.74, 15)
    );
    assert_eq!(
        sub_score(&score, Measure::OpportunityState),
        (Some(1.0), 75.0, 15)
    );
    // (25 x 85.106 + 20 x 80 + 25 x 66 + 15 x 94.737 + 15 x 75) / 100 = 79.237
    assert_eq!(score.score, 79.24);
    assert_eq!(score.band, Band::Healthy);
    assert_eq!(score.trend, Trend::New);
    assert_eq!(score.previous_score, None);
    assert_eq!(score.computed_at, now());
    let evidence = score.evidence_refs.as_array().expect("an array");
    for expected in [
        json!({ "kind": "signal", "id": risk.to_string() }),
        json!({ "kind": "conversation", "id": open }),
        json!({ "kind": "message", "id": slow }),
        json!({ "kind": "message", "id": last }),
        json!({ "kind": "opportunity", "id": deal.to_string() }),
    ] {
        assert!(evidence.contains(&expected), "{expected} in {evidence:?}");
    }
    assert!(!evidence.contains(&json!({ "kind": "conversation", "id": not_ours })));
    let stored = health::latest(&test.db, &scope, account.id)
        .await
        .expect("latest");
    assert_eq!(stored, Some(score));
    test.drop().await;
}

#[tokio::test]
async fn an_account_without_data_scores_by_the_documented_defaults() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let account = test.account(&scope, "Quiet", None).await;

    // Act
    let score = health::compute_account(&test.db, &scope, account.id, now())
        .await
        .expect("computed");

    // Assert: no turn 100, nothing unresolved 100, no signal 100, no activity 0, no deal 50.
    assert_eq!(sub_score(&score, Measure::ReplyLatency), (None, 100.0, 25));
    assert_eq!(sub_score(&score, Measure::ActivityRecency), (None, 0.0, 15));
    assert_eq!(
        sub_score(&score, Measure::OpportunityState),
        (None, 50.0, 15)
    );
    assert_eq!(score.score, 77.5);
    assert_eq!(score.band, Band::Healthy);
    assert_eq!(score.evidence_refs, json!([]));
    test.drop().await;
}

#[tokio::test]
async fn opportunity_state_rewards_a_recent_win_and_penalises_only_losses() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let recent_win = test.account(&scope, "Recent win", None).await;
    let old_win = test.account(&scope, "Old win", None).await;
    let only_lost = test.account(&scope, "Only lost", None).await;
    test.opportunity_in(&scope, recent_win.id, "won", Some(now() - days(10)))
        .await;
    test.opportunity_in(&scope, recent_win.id, "lost", Some(now() - days(5)))
        .await;
    test.opportunity_in(&scope, old_win.id, "won", Some(now() - days(200)))
        .await;
    test.opportunity_in(&scope, old_win.id, "lost", Some(now() - days(5)))
        .await;
    test.opportunity_in(&scope, only_lost.id, "lost", Some(now() - days(5)))
        .await;

    // Act
    let mut states = Vec::new();
    for account in [&recent_win, &old_win, &only_lost] {
        let score = health::compute_account(&test.db, &scope, account.id, now())
            .await
            .expect("computed");
        states.push(sub_score(&score, Measure::OpportunityState).1);
    }

    // Assert
    assert_eq!(states, vec![100.0, 50.0, 20.0]);
    test.drop().await;
}

#[tokio::test]
async fn custom_weights_change_the_score_and_are_audited() {
    // Arrange: one risk signal and nothing else.
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "admin").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let account = test.account(&scope, "Acme", None).await;
    test.signal_row(
        &scope,
        Some(account.id),
        "complaint",
        "open",
        0.7,
        now() - days(3),
    )
    .await;
    let defaults = health::weights(&test.db, &scope).await.expect("weights");
    let before = health::compute_account(&test.db, &scope, account.id, now())
        .await
        .expect("computed");

    // Act
    let stored = health::set_weights(
        &test.db,
        &scope,
        &actor,
        &[
            (Measure::ReplyLatency, 20),
            (Measure::UnresolvedConversations, 20),
            (Measure::RecentSignals, 50),
            (Measure::ActivityRecency, 0),
            (Measure::OpportunityState, 10),
        ],
    )
    .await
    .expect("weights set");
    let after = health::compute_account(&test.db, &scope, account.id, now() + hours(1))
        .await
        .expect("computed");

    // Assert
    assert!(defaults.iter().all(|w| w.is_default));
    assert_eq!(
        defaults.iter().map(|w| w.weight).collect::<Vec<_>>(),
        vec![25, 20, 25, 15, 15]
    );
    // 25 x 100 + 20 x 100 + 25 x 66 + 15 x 0 + 15 x 50 = 6900
    assert_eq!(before.score, 69.0);
    assert_eq!(before.band, Band::AtRisk);
    assert_eq!(
        stored.iter().map(|w| w.weight).collect::<Vec<_>>(),
        vec![20, 20, 50, 0, 10]
    );
    assert!(stored.iter().all(|w| !w.is_default));
    assert_eq!(
        health::weights(&test.db, &scope).await.expect("weights"),
        stored
    );
    // 20 x 100 + 20 x 100 + 50 x 66 + 0 x 0 + 10 x 50 = 7800
    assert_eq!(after.score, 78.0);
    assert_eq!(after.band, Band::Healthy);
    assert_eq!(after.trend, Trend::Up);
    assert_eq!(sub_score(&after, Measure::RecentSignals).2, 50);
    assert_eq!(test.count("crm_health_weights").await, 5);
    assert_eq!(test.audits("crm.health_weights.updated").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn invalid_weights_are_refused_and_write_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let sum_99 = [
        (Measure::ReplyLatency, 25),
        (Measure::UnresolvedConversations, 20),
        (Measure::RecentSignals, 25),
        (Measure::ActivityRecency, 15),
        (Measure::OpportunityState, 14),
    ];
    let duplicate = [
        (Measure::ReplyLatency, 25),
        (Measure::ReplyLatency, 20),
        (Measure::RecentSignals, 25),
        (Measure::ActivityRecency, 15),
        (Measure::OpportunityState, 15),
    ];
    let negative = [
        (Measure::ReplyLatency, -10),
        (Measure::UnresolvedConversations, 30),
        (Measure::RecentSignals, 30),
        (Measure::ActivityRecency, 25),
        (Measure::OpportunityState, 25),
    ];
    let missing = [
        (Measure::ReplyLatency, 50),
        (Measure::UnresolvedConversations, 50),
    ];

    for bad in [&sum_99[..], &duplicate[..], &negative[..], &missing[..]] {
        // Act
        let error = health::set_weights(&test.db, &scope, &actor, bad)
            .await
            .expect_err("refused");

        // Assert
        let fields = weight_fields(error);
        assert!(!fields.is_empty());
        assert!(fields.iter().all(|f| f == "weights"), "{fields:?}");
    }
    assert_eq!(test.count("crm_health_weights").await, 0);
    assert_eq!(test.audits("crm.health_weights.updated").await, 0);
    assert!(
        health::weights(&test.db, &scope)
            .await
            .expect("weights")
            .iter()
            .all(|w| w.is_default)
    );
    test.drop().await;
}

#[tokio::test]
async fn trend_is_new_then_down_flat_and_up_and_quiet_repeats_append_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (account, contact) = healthy_account(&test, &scope, "Acme", 1).await;

    // Act
    let first = health::compute_account(&test.db, &scope, account, now())
        .await
        .expect("computed");
    test.contact_conversation(&scope, 500, &contact, "open")
        .await;
    test.contact_conversation(&scope, 501, &contact, "pending")
        .await;
    let worse = health::compute_account(&test.db, &scope, account, now() + hours(1))
        .await
        .expect("computed");
    let repeat = health::compute_account(&test.db, &scope, account, now() + hours(2))
        .await
        .expect("computed");
    let next_day = health::compute_account(&test.db, &scope, account, now() + hours(26))
        .await
        .expect("computed");
    exec(
        &test.db,
        "update cw_conversations set status = 'resolved' where project_id = $1",
        [scope.project_id().into()],
    )
    .await;
    let better = health::compute_account(&test.db, &scope, account, now() + hours(27))
        .await
        .expect("computed");

    // Assert
    assert_eq!((first.score, first.trend), (96.25, Trend::New));
    // Two unresolved conversations cost 20 x 40 / 100 = 8 points.
    assert_eq!((worse.score, worse.trend), (88.25, Trend::Down));
    assert_eq!(worse.previous_score, Some(96.25));
    assert_eq!(worse.previous_band, Some(Band::Healthy));
    assert_eq!(repeat.id, worse.id, "a repeat within a day is not appended");
    assert_eq!((next_day.score, next_day.trend), (88.25, Trend::Flat));
    assert_ne!(next_day.id, worse.id);
    assert_eq!((better.score, better.trend), (96.25, Trend::Up));
    let history = health::history(&test.db, &scope, account, 10)
        .await
        .expect("history");
    assert_eq!(
        history.iter().map(|h| h.trend).collect::<Vec<_>>(),
        vec![Trend::Up, Trend::Flat, Trend::Down, Trend::New]
    );
    assert_eq!(
        health::history(&test.db, &scope, account, 2)
            .await
            .expect("history")
            .len(),
        2
    );
    test.drop().await;
}

#[tokio::test]
async fn recompute_project_scores_every_active_account() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let active = test.account(&scope, "Active", None).await;
    test.account(&scope, "Also active", None).await;
    let archived = test.account(&scope, "Archived", None).await;
    exec(
        &test.db,
        "update crm_accounts set status = 'archived', archived_at = now() where id = $1",
        [archived.id.into()],
    )
    .await;

    // Act
    let computed = health::recompute_project(&test.db, &scope, now())
        .await
        .expect("recomputed");

    // Assert
    assert_eq!(computed, 2);
    assert_eq!(test.count("health_scores").await, 2);
    let latest = health::latest_for_accounts(&test.db, &scope, &[active.id, archived.id])
        .await
        .expect("latest");
    assert!(latest.contains_key(&active.id));
    assert!(!latest.contains_key(&archived.id));
    test.drop().await;
}

#[tokio::test]
async fn another_projects_radar_and_history_are_invisible() {
    // Arrange
    let test = TestDb::new().await;
    let ours = test.project("ours").await;
    let theirs = test.project("theirs").await;
    let account = test.account(&ours, "Acme", None).await;
    test.signal_row(&ours, Some(account.id), "churn_risk", "open", 0.5, now())
        .await;
    health::compute_account(&test.db, &ours, account.id, now())
        .await
        .expect("computed");
    radar::sync_signal_items(&test.db, &ours)
        .await
        .expect("synced");
    let item = radar::list(&test.db, &ours, &live(), 10, None)
        .await
        .expect("radar")
        .items[0]
        .id;
    let actor = Actor::system("test");

    // Act
    let their_radar = radar::list(&test.db, &theirs, &live(), 10, None)
        .await
        .expect("radar");
    let their_sync = radar::sync_signal_items(&test.db, &theirs)
        .await
        .expect("synced");
    let get = radar::get(&test.db, &theirs, item).await;
    let acknowledge = radar::acknowledge(&test.db, &theirs, &actor, item).await;
    let resolve = radar::resolve(&test.db, &theirs, &actor, item).await;
    let dismiss = radar::dismiss(&test.db, &theirs, &actor, item).await;
    let history = health::history(&test.db, &theirs, account.id, 10).await;
    let latest = health::latest(&test.db, &theirs, account.id).await;
    let compute = health::compute_account(&test.db, &theirs, account.id, now()).await;
    let batch = health::latest_for_accounts(&test.db, &theirs, &[account.id])
        .await
        .expect("batch");
    health::set_weights(
        &test.db,
        &theirs,
        &actor,
        &[
            (Measure::ReplyLatency, 0),
            (Measure::UnresolvedConversations, 0),
            (Measure::RecentSignals, 100),
            (Measure::ActivityRecency, 0),
            (Measure::OpportunityState, 0),
        ],
    )
    .await
    .expect("their weights");

    // Assert
    assert_eq!(their_radar.total_count, 0);
    assert!(their_radar.items.is_empty());
    assert_eq!(their_sync, 0);
    for result in [get, acknowledge, resolve, dismiss] {
        assert!(
            matches!(result, Err(DomainError::NotFound(_))),
            "{result:?}"
        );
    }
    assert!(matches!(history, Err(DomainError::NotFound(_))));
    assert!(matches!(latest, Err(DomainError::NotFound(_))));
    assert!(matches!(compute, Err(DomainError::NotFound(_))));
    assert!(batch.is_empty());
    assert!(
        health::weights(&test.db, &ours)
            .await
            .expect("weights")
            .iter()
            .all(|w| w.is_default)
    );
    assert_eq!(
        radar::get(&test.db, &ours, item)
            .await
            .expect("ours")
            .status,
        RiskItemStatus::Open
    );
    test.drop().await;
}
