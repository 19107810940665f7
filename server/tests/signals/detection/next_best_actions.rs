//! Next-best-actions raised by the rules: once, with reason and evidence, and their audited lifecycle.
use super::*;

#[tokio::test]
pub(super) async fn rules_raise_actions_once_with_reason_and_evidence() {
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
pub(super) async fn a_reply_within_three_days_means_no_call_and_an_open_opportunity_means_no_create_task()
 {
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
pub(super) async fn the_lifecycle_is_audited_and_refuses_steps_it_does_not_allow() {
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
