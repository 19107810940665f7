//! The risk radar: band drops and risk signals raise items, recovery resolves them, people triage them.
use super::*;

#[tokio::test]
pub(super) async fn a_band_drop_puts_the_account_on_the_radar_and_recovery_resolves_it() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (account, contact) = healthy_account(&test, &scope, "Acme", 1).await;
    let healthy = health::compute_account(&test.db, &scope, account, now())
        .await
        .expect("computed");
    let later = now() + hours(1);
    let mut waiting = Vec::new();
    for n in 0..5 {
        let conversation = test
            .contact_conversation(&scope, 200 + n, &contact, "open")
            .await;
        test.cw_message(
            &scope,
            300 + n,
            &conversation,
            "incoming",
            false,
            later - days(3),
        )
        .await;
        waiting.push(conversation);
    }
    let mut signals = Vec::new();
    for _ in 0..3 {
        signals.push(
            test.signal_row(
                &scope,
                Some(account),
                "churn_risk",
                "open",
                0.8,
                later - days(1),
            )
            .await,
        );
    }

    // Act
    let critical = health::compute_account(&test.db, &scope, account, later)
        .await
        .expect("computed");
    let page = radar::list(&test.db, &scope, &live(), 10, None)
        .await
        .expect("radar");

    // Assert
    assert_eq!(healthy.band, Band::Healthy);
    // Replies wait (1 + 5 x 72) / 6 = 60.2 h -> 0; 5 unresolved -> 0; 3 signals -> 0;
    // activity a day ago -> 100; an open deal -> 75: 15 + 11.25 = 26.25.
    assert_eq!(critical.score, 26.25);
    assert_eq!(critical.band, Band::Critical);
    assert_eq!(page.total_count, 1);
    let item = &page.items[0];
    assert_eq!(item.kind, RiskKind::BandDrop);
    assert_eq!(item.status, RiskItemStatus::Open);
    assert_eq!(item.account_id, account);
    assert_eq!(item.account_name, "Acme");
    assert_eq!(item.from_band, Some(Band::Healthy));
    assert_eq!(item.to_band, Some(Band::Critical));
    assert_eq!(item.health_score_id, Some(critical.id));
    // (100 - 26.25) + 15 x 2 levels
    assert_eq!(item.risk_score, 103.75);
    assert_eq!(
        item.explanation,
        "Health fell from healthy (96) to critical (26): replies take 60.2 hours on average, \
         3 risk signals in the last 30 days, 5 unresolved conversations."
    );
    let evidence = item.evidence_refs.as_array().expect("an array");
    assert_eq!(
        evidence[0],
        json!({ "kind": "health_score", "id": critical.id.to_string() })
    );
    for signal in &signals {
        assert!(evidence.contains(&json!({ "kind": "signal", "id": signal.to_string() })));
    }
    assert!(evidence.contains(&json!({ "kind": "conversation", "id": waiting[0] })));

    // Arrange: every conversation answered and resolved, every signal handled.
    let recovered_at = later + hours(1);
    for (n, conversation) in waiting.iter().enumerate() {
        test.cw_message(
            &scope,
            400 + n as i64,
            conversation,
            "outgoing",
            false,
            later - days(3) + hours(1),
        )
        .await;
    }
    exec(
        &test.db,
        "update cw_conversations set status = 'resolved' where project_id = $1",
        [scope.project_id().into()],
    )
    .await;
    exec(
        &test.db,
        "update signals set status = 'resolved' where project_id = $1",
        [scope.project_id().into()],
    )
    .await;

    // Act
    let recovered = health::compute_account(&test.db, &scope, account, recovered_at)
        .await
        .expect("computed");

    // Assert
    assert_eq!(recovered.band, Band::Healthy);
    assert_eq!(recovered.trend, Trend::Up);
    let open = radar::list(&test.db, &scope, &live(), 10, None)
        .await
        .expect("radar");
    assert_eq!(open.total_count, 0);
    let resolved = radar::list(
        &test.db,
        &scope,
        &RadarFilter {
            status: Some(RiskItemStatus::Resolved),
            account_id: Some(account),
        },
        10,
        None,
    )
    .await
    .expect("radar");
    assert_eq!(resolved.items.len(), 1);
    assert_eq!(resolved.items[0].id, item.id);
    assert_eq!(resolved.items[0].resolved_at, Some(recovered_at));
    test.drop().await;
}

#[tokio::test]
pub(super) async fn a_further_drop_refreshes_the_live_item_instead_of_adding_one() {
    // Arrange: healthy, then at risk (three risk signals, a customer waiting three days).
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let (account, contact) = healthy_account(&test, &scope, "Acme", 1).await;
    health::compute_account(&test.db, &scope, account, now())
        .await
        .expect("computed");
    for signal_type in ["churn_risk", "complaint", "churn_risk"] {
        test.signal_row(
            &scope,
            Some(account),
            signal_type,
            "open",
            0.8,
            now() - days(1),
        )
        .await;
    }
    let waiting = test
        .contact_conversation(&scope, 200, &contact, "open")
        .await;
    test.cw_message(&scope, 300, &waiting, "incoming", false, now() - days(3))
        .await;
    let at_risk = health::compute_account(&test.db, &scope, account, now() + hours(1))
        .await
        .expect("computed");
    for n in 1..5 {
        test.contact_conversation(&scope, 200 + n, &contact, "open")
            .await;
    }

    // Act
    let critical = health::compute_account(&test.db, &scope, account, now() + hours(2))
        .await
        .expect("computed");

    // Assert
    assert_eq!(at_risk.band, Band::AtRisk);
    assert_eq!(critical.band, Band::Critical);
    let page = radar::list(&test.db, &scope, &live(), 10, None)
        .await
        .expect("radar");
    assert_eq!(page.total_count, 1);
    let item = &page.items[0];
    assert_eq!(item.from_band, Some(Band::Healthy));
    assert_eq!(item.to_band, Some(Band::Critical));
    assert_eq!(item.health_score_id, Some(critical.id));
    assert_eq!(item.risk_score, 100.0 - critical.score + 30.0);
    assert!(
        item.explanation
            .starts_with("Health fell from healthy to critical"),
        "{}",
        item.explanation
    );
    test.drop().await;
}

#[tokio::test]
pub(super) async fn a_risk_signal_puts_its_account_on_the_radar_once() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let acme = test.account(&scope, "Acme", None).await;
    let globex = test.account(&scope, "Globex", None).await;
    let churn = test
        .signal_row(&scope, Some(acme.id), "churn_risk", "open", 0.5, now())
        .await;
    let complaint = test
        .signal_row(
            &scope,
            Some(globex.id),
            "complaint",
            "acknowledged",
            0.9,
            now(),
        )
        .await;
    test.signal_row(&scope, Some(acme.id), "buying_intent", "open", 0.9, now())
        .await;
    test.signal_row(&scope, None, "churn_risk", "open", 0.9, now())
        .await;
    test.signal_row(&scope, Some(acme.id), "churn_risk", "dismissed", 0.9, now())
        .await;

    // Act
    let first_run = radar::sync_signal_items(&test.db, &scope)
        .await
        .expect("synced");
    let second_run = radar::sync_signal_items(&test.db, &scope)
        .await
        .expect("synced");
    let first_page = radar::list(&test.db, &scope, &live(), 1, None)
        .await
        .expect("radar");
    let second_page = radar::list(
        &test.db,
        &scope,
        &live(),
        1,
        Some(first_page.items[0].cursor()),
    )
    .await
    .expect("radar");

    // Assert
    assert_eq!((first_run, second_run), (2, 0));
    assert_eq!(test.count("risk_radar_items").await, 2);
    assert_eq!(first_page.total_count, 2);
    assert!(first_page.has_next_page);
    let top = &first_page.items[0];
    assert_eq!(top.signal_id, Some(complaint));
    assert_eq!(top.kind, RiskKind::RiskSignal);
    assert_eq!(top.account_name, "Globex");
    // 40 + 40 x 0.9
    assert_eq!(top.risk_score, 76.0);
    assert!(
        top.explanation
            .starts_with("Complaint signal (90% confidence) on 2026-03-01"),
        "{}",
        top.explanation
    );
    assert_eq!(
        top.evidence_refs.as_array().expect("an array")[0],
        json!({ "kind": "signal", "id": complaint.to_string() })
    );
    assert!(!second_page.has_next_page);
    assert_eq!(second_page.items.len(), 1);
    assert_eq!(second_page.items[0].signal_id, Some(churn));
    assert_eq!(second_page.items[0].risk_score, 60.0);

    // Arrange: the churn signal is handled, the complaint's item dismissed by a person.
    exec(
        &test.db,
        "update signals set status = 'resolved' where id = $1",
        [churn.into()],
    )
    .await;
    radar::dismiss(&test.db, &scope, &Actor::system("test"), top.id)
        .await
        .expect("dismissed");

    // Act
    let third_run = radar::sync_signal_items(&test.db, &scope)
        .await
        .expect("synced");

    // Assert: the churn item is resolved and the dismissed complaint is not raised again.
    assert_eq!(third_run, 1);
    let live_items = radar::list(&test.db, &scope, &live(), 10, None)
        .await
        .expect("radar");
    assert_eq!(live_items.total_count, 0);
    assert_eq!(
        radar::get(&test.db, &scope, second_page.items[0].id)
            .await
            .expect("item")
            .status,
        RiskItemStatus::Resolved
    );
    test.drop().await;
}

#[tokio::test]
pub(super) async fn people_acknowledge_resolve_and_dismiss_items_with_audit() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "csm").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let acme = test.account(&scope, "Acme", None).await;
    let globex = test.account(&scope, "Globex", None).await;
    test.signal_row(&scope, Some(acme.id), "churn_risk", "open", 0.5, now())
        .await;
    test.signal_row(&scope, Some(globex.id), "complaint", "open", 0.5, now())
        .await;
    radar::sync_signal_items(&test.db, &scope)
        .await
        .expect("synced");
    let items = radar::list(&test.db, &scope, &live(), 10, None)
        .await
        .expect("radar")
        .items;
    let (first, second) = (items[0].id, items[1].id);

    // Act
    let acknowledged = radar::acknowledge(&test.db, &scope, &actor, first)
        .await
        .expect("acknowledged");
    let resolved = radar::resolve(&test.db, &scope, &actor, first)
        .await
        .expect("resolved");
    let again = radar::resolve(&test.db, &scope, &actor, first)
        .await
        .expect("idempotent");
    let dismissed = radar::dismiss(&test.db, &scope, &actor, second)
        .await
        .expect("dismissed");
    let reopened = radar::acknowledge(&test.db, &scope, &actor, second).await;

    // Assert
    assert_eq!(acknowledged.status, RiskItemStatus::Acknowledged);
    assert_eq!(acknowledged.resolved_at, None);
    assert_eq!(resolved.status, RiskItemStatus::Resolved);
    assert_eq!(resolved.resolved_by, Some(user));
    assert!(resolved.resolved_at.is_some());
    assert_eq!(again, resolved);
    assert_eq!(dismissed.status, RiskItemStatus::Dismissed);
    assert!(matches!(reopened, Err(DomainError::Conflict(_))));
    assert_eq!(test.audits("crm.risk.acknowledged").await, 1);
    assert_eq!(test.audits("crm.risk.resolved").await, 1);
    assert_eq!(test.audits("crm.risk.dismissed").await, 1);
    test.drop().await;
}
