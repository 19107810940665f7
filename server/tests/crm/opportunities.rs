//! Opportunities: creation, stage moves with history and audit, validation, listing, and the
//! board's per-currency forecast.
use chrono::NaiveDate;
use sea_orm::prelude::Decimal;
use serde_json::json;
use server::{
    domain::crm::{
        opportunities::{
            self, BoardFilter, CurrencyTotal, NewOpportunity, OpportunityFilter, OpportunityPatch,
            OpportunityState, StageMove,
        },
        pipeline,
    },
    kernel::{Actor, DomainError, audit::EvidenceRef},
};
use uuid::Uuid;

use crate::helpers::CrmFixtures;
use crate::helpers::TestDb;

fn dec(text: &str) -> Decimal {
    text.parse().expect("a decimal")
}

fn new(account_id: Uuid, name: &str, amount: &str, currency: &str) -> NewOpportunity {
    NewOpportunity {
        account_id,
        name: name.to_owned(),
        amount: dec(amount),
        currency: currency.to_owned(),
        ..NewOpportunity::default()
    }
}

fn fields(error: DomainError) -> Vec<String> {
    match error {
        DomainError::Validation(errors) => {
            let mut fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
            fields.sort();
            fields
        }
        other => panic!("expected validation, got {other:?}"),
    }
}

#[tokio::test]
async fn creating_an_opportunity_places_it_in_the_first_open_stage_with_a_first_event() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let account = test.account(&scope, "Acme", None).await;
    let conversation = test.conversation(&scope, 42).await;

    // Act
    let created = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            probability: Some(35),
            owner_user_id: Some(user),
            expected_close_date: NaiveDate::from_ymd_opt(2026, 3, 31),
            source_conversation_global_id: Some(conversation.clone()),
            ..new(account.id, "Pilot", "1200.50", "EUR")
        },
    )
    .await
    .expect("created");

    // Assert
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    assert_eq!(created.stage_id, stages[0].id);
    assert_eq!(created.amount, dec("1200.5"));
    assert_eq!(created.created_by, Some(user));
    assert_eq!(created.closed_at, None);
    let history = opportunities::stage_history(&test.db, &scope, created.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].from_stage_id, None);
    assert_eq!(history[0].from_stage_key, None);
    assert_eq!(history[0].to_stage_key, "lead");
    assert_eq!(history[0].changed_by, Some(user));
    assert_eq!(history[0].amount, Some(dec("1200.50")));
    assert_eq!(history[0].currency.as_deref(), Some("EUR"));
    assert_eq!(history[0].probability, Some(35));
    assert_eq!(
        history[0].evidence_refs,
        json!([{ "kind": "conversation", "id": conversation }])
    );
    assert_eq!(test.audits("crm.opportunity.created").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn a_stage_move_writes_an_event_and_an_audit_with_its_evidence() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let user = test.member(&scope, "seller").await.id;
    let actor = Actor::new(format!("user:{user}"), Some(user));
    let account = test.account(&scope, "Acme", None).await;
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        new(account.id, "Pilot", "800", "USD"),
    )
    .await
    .expect("created");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let message = format!("cwmsg:{}:7:991", scope.project_id());

    // Act
    let moved = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: stages[2].id,
            note: Some("Asked for a quote".to_owned()),
            evidence: vec![EvidenceRef::new("message", &message)],
            lost_reason: None,
        },
    )
    .await
    .expect("moved");

    // Assert
    assert_eq!(moved.stage_id, stages[2].id);
    let history = opportunities::stage_history(&test.db, &scope, opportunity.id)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    let event = &history[1];
    assert_eq!(event.from_stage_id, Some(stages[0].id));
    assert_eq!(event.from_stage_key.as_deref(), Some("lead"));
    assert_eq!(event.to_stage_id, Some(stages[2].id));
    assert_eq!(event.to_stage_key, "proposal");
    assert_eq!(event.changed_by, Some(user));
    assert_eq!(event.note.as_deref(), Some("Asked for a quote"));
    assert_eq!(event.amount, Some(dec("800")));
    assert_eq!(event.currency.as_deref(), Some("USD"));
    assert_eq!(
        event.probability,
        Some(50),
        "the stage default when it has none"
    );
    assert_eq!(
        event.evidence_refs,
        json!([{ "kind": "message", "id": message }])
    );
    assert_eq!(test.audits("crm.opportunity.stage_changed").await, 1);
    assert_eq!(
        test.scalar(&format!(
            "select count(*) from audit_events where action = 'crm.opportunity.stage_changed' \
             and actor = 'user:{user}' and target_id = '{}' \
             and evidence_refs @> '[{{\"kind\": \"message\", \"id\": \"{message}\"}}]' \
             and evidence_refs @> '[{{\"kind\": \"opportunity_stage_event\", \"id\": \"{}\"}}]'",
            opportunity.id, event.id
        ))
        .await,
        1
    );
    test.drop().await;
}

#[tokio::test]
async fn moving_to_the_current_stage_writes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        new(account.id, "Pilot", "800", "USD"),
    )
    .await
    .expect("created");
    let events_before = test.count("crm_opportunity_stage_events").await;
    let audits_before = test.count("audit_events").await;

    // Act
    let same = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: opportunity.stage_id,
            note: Some("still a lead".to_owned()),
            ..StageMove::default()
        },
    )
    .await
    .expect("no-op");

    // Assert
    assert_eq!(same, opportunity);
    assert_eq!(
        test.count("crm_opportunity_stage_events").await,
        events_before
    );
    assert_eq!(test.count("audit_events").await, audits_before);
    test.drop().await;
}

#[tokio::test]
async fn closing_sets_closed_at_and_the_lost_reason_and_reopening_clears_them() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        new(account.id, "Pilot", "800", "USD"),
    )
    .await
    .expect("created");
    let to = |stage: usize, reason: Option<&str>| StageMove {
        to_stage_id: stages[stage].id,
        lost_reason: reason.map(str::to_owned),
        ..StageMove::default()
    };

    // Act
    let lost = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        to(5, Some("Too expensive")),
    )
    .await
    .expect("lost");
    let reopened = opportunities::move_stage(&test.db, &scope, &actor, opportunity.id, to(3, None))
        .await
        .expect("reopened");
    let won = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        to(4, Some("ignored")),
    )
    .await
    .expect("won");

    // Assert
    assert!(lost.closed_at.is_some());
    assert_eq!(lost.lost_reason.as_deref(), Some("Too expensive"));
    assert_eq!(reopened.closed_at, None);
    assert_eq!(reopened.lost_reason, None);
    assert!(won.closed_at.is_some());
    assert_eq!(won.lost_reason, None);
    let open = opportunities::list_opportunities(
        &test.db,
        &scope,
        &OpportunityFilter {
            state: Some(OpportunityState::Open),
            ..OpportunityFilter::default()
        },
        10,
        None,
    )
    .await
    .expect("open");
    assert_eq!(open.total_count, 0);
    test.drop().await;
}

#[tokio::test]
async fn invalid_opportunity_input_names_every_bad_field_and_writes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let other = test.project("q").await;
    let stranger = test.user("stranger").await;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let foreign_conversation = test.conversation(&other, 1).await;
    let stages_before = test.count("crm_pipeline_stages").await;

    // Act
    let created = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            probability: Some(101),
            owner_user_id: Some(stranger),
            source_conversation_global_id: Some(foreign_conversation),
            stage_id: Some(Uuid::new_v4()),
            ..new(account.id, " ", "-1", "eur")
        },
    )
    .await;
    let three_decimals = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        new(account.id, "Deal", "10.005", "EUR"),
    )
    .await;
    let unknown_conversation = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            source_conversation_global_id: Some(format!("cw:{}:7:404", scope.project_id())),
            ..new(account.id, "Deal", "10", "EUR")
        },
    )
    .await;

    // Assert
    assert_eq!(
        fields(created.expect_err("refused")),
        [
            "amount",
            "currency",
            "name",
            "ownerUserId",
            "probability",
            "sourceConversationId",
            "stageId"
        ]
    );
    assert_eq!(fields(three_decimals.expect_err("refused")), ["amount"]);
    assert_eq!(
        fields(unknown_conversation.expect_err("refused")),
        ["sourceConversationId"]
    );
    assert_eq!(test.count("crm_opportunities").await, 0);
    assert_eq!(test.count("crm_opportunity_stage_events").await, 0);
    assert_eq!(test.count("crm_pipeline_stages").await, stages_before);
    assert_eq!(test.audits("crm.opportunity.created").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn an_invalid_move_or_update_changes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let other = test.project("q").await;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        new(account.id, "Pilot", "800", "USD"),
    )
    .await
    .expect("created");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let foreign_message = format!("cwmsg:{}:7:1", other.project_id());
    let events_before = test.count("crm_opportunity_stage_events").await;
    let audits_before = test.count("audit_events").await;

    // Act
    let foreign_evidence = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: stages[1].id,
            evidence: vec![EvidenceRef::new("message", &foreign_message)],
            note: Some("n".repeat(2001)),
            ..StageMove::default()
        },
    )
    .await;
    let unknown_stage = opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: Uuid::new_v4(),
            ..StageMove::default()
        },
    )
    .await;
    let bad_update = opportunities::update_opportunity(
        &test.db,
        &scope,
        &Actor::system("test"),
        opportunity.id,
        OpportunityPatch {
            name: Some("Renamed".to_owned()),
            amount: Some(dec("1.001")),
            probability: Some(Some(-1)),
            ..OpportunityPatch::default()
        },
    )
    .await;

    // Assert
    assert_eq!(
        fields(foreign_evidence.expect_err("refused")),
        ["evidence", "note"]
    );
    assert_eq!(fields(unknown_stage.expect_err("refused")), ["toStageId"]);
    assert_eq!(
        fields(bad_update.expect_err("refused")),
        ["amount", "probability"]
    );
    assert_eq!(
        opportunities::get_opportunity(&test.db, &scope, opportunity.id)
            .await
            .expect("get"),
        opportunity
    );
    assert_eq!(
        test.count("crm_opportunity_stage_events").await,
        events_before
    );
    assert_eq!(test.count("audit_events").await, audits_before);
    test.drop().await;
}

#[tokio::test]
async fn updating_changes_only_the_given_fields() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let owner = test.member(&scope, "owner").await.id;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            probability: Some(20),
            ..new(account.id, "Pilot", "800", "USD")
        },
    )
    .await
    .expect("created");

    // Act
    let updated = opportunities::update_opportunity(
        &test.db,
        &scope,
        &Actor::system("test"),
        opportunity.id,
        OpportunityPatch {
            amount: Some(dec("950.25")),
            currency: Some("GBP".to_owned()),
            probability: Some(None),
            owner_user_id: Some(Some(owner)),
            ..OpportunityPatch::default()
        },
    )
    .await
    .expect("updated");

    // Assert
    assert_eq!(updated.name, "Pilot");
    assert_eq!(updated.amount, dec("950.25"));
    assert_eq!(updated.currency, "GBP");
    assert_eq!(updated.probability, None);
    assert_eq!(updated.owner_user_id, Some(owner));
    assert_eq!(updated.stage_id, opportunity.stage_id);
    assert_eq!(test.audits("crm.opportunity.updated").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn listing_filters_by_account_stage_owner_and_state_and_pages() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let owner = test.member(&scope, "owner").await.id;
    let actor = Actor::system("test");
    let acme = test.account(&scope, "Acme", None).await;
    let globex = test.account(&scope, "Globex", None).await;
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let mut acme_ids = Vec::new();
    for i in 0..3 {
        let o = opportunities::create_opportunity(
            &test.db,
            &scope,
            &actor,
            new(acme.id, &format!("Acme {i}"), "100", "EUR"),
        )
        .await
        .expect("acme");
        acme_ids.push(o.id);
    }
    let owned = opportunities::create_opportunity(
        &test.db,
        &scope,
        &actor,
        NewOpportunity {
            owner_user_id: Some(owner),
            stage_id: Some(stages[4].id),
            ..new(globex.id, "Globex won", "100", "EUR")
        },
    )
    .await
    .expect("globex");

    // Act
    let mut paged = Vec::new();
    let mut after = None;
    loop {
        let page = opportunities::list_opportunities(
            &test.db,
            &scope,
            &OpportunityFilter {
                account_id: Some(acme.id),
                ..OpportunityFilter::default()
            },
            2,
            after,
        )
        .await
        .expect("page");
        assert_eq!(page.total_count, 3);
        paged.extend(page.items.iter().map(|o| o.id));
        if !page.has_next_page {
            break;
        }
        after = page.items.last().map(|o| o.cursor());
    }
    let closed = opportunities::list_opportunities(
        &test.db,
        &scope,
        &OpportunityFilter {
            state: Some(OpportunityState::Closed),
            ..OpportunityFilter::default()
        },
        10,
        None,
    )
    .await
    .expect("closed");
    let by_owner_and_stage = opportunities::list_opportunities(
        &test.db,
        &scope,
        &OpportunityFilter {
            owner_user_id: Some(owner),
            stage_id: Some(stages[4].id),
            ..OpportunityFilter::default()
        },
        10,
        None,
    )
    .await
    .expect("owner");

    // Assert
    acme_ids.reverse();
    assert_eq!(paged, acme_ids);
    assert_eq!(
        closed.items.iter().map(|o| o.id).collect::<Vec<_>>(),
        [owned.id]
    );
    assert!(owned.closed_at.is_some());
    assert_eq!(
        by_owner_and_stage
            .items
            .iter()
            .map(|o| o.id)
            .collect::<Vec<_>>(),
        [owned.id]
    );
    test.drop().await;
}

#[tokio::test]
async fn the_board_totals_amounts_and_weighted_forecast_per_currency() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let account = test.account(&scope, "Acme", None).await;
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let (lead, proposal, won) = (stages[0].id, stages[2].id, stages[4].id);
    // (stage, amount, currency, own probability); lead defaults to 10, proposal to 50.
    let deals = [
        (lead, "1000.00", "EUR", None),
        (lead, "250.50", "EUR", Some(40)),
        (lead, "999.99", "USD", None),
        (proposal, "1234.56", "EUR", Some(33)),
        (proposal, "0.01", "USD", None),
        (won, "500", "EUR", None),
    ];
    for (i, (stage, amount, currency, probability)) in deals.into_iter().enumerate() {
        opportunities::create_opportunity(
            &test.db,
            &scope,
            &actor,
            NewOpportunity {
                stage_id: Some(stage),
                probability,
                ..new(account.id, &format!("Deal {i}"), amount, currency)
            },
        )
        .await
        .expect("deal");
    }

    // Act
    let board = opportunities::pipeline_board(&test.db, &scope, &BoardFilter::default(), 2)
        .await
        .expect("board");

    // Assert
    let total = |currency: &str, amount: &str, weighted: &str| CurrencyTotal {
        currency: currency.to_owned(),
        amount: dec(amount),
        weighted: dec(weighted),
    };
    assert_eq!(
        board
            .iter()
            .map(|c| c.stage.key.as_str())
            .collect::<Vec<_>>(),
        [
            "lead",
            "qualified",
            "proposal",
            "negotiation",
            "won",
            "lost"
        ]
    );
    assert_eq!(
        board.iter().map(|c| c.count).collect::<Vec<_>>(),
        [3, 0, 2, 0, 1, 0]
    );
    assert_eq!(
        board[0].opportunities.len(),
        2,
        "capped at the per-stage limit"
    );
    assert_eq!(
        board[0].totals,
        [
            total("EUR", "1250.50", "200.20"),
            total("USD", "999.99", "99.999")
        ]
    );
    assert_eq!(
        board[2].totals,
        [
            total("EUR", "1234.56", "407.4048"),
            total("USD", "0.01", "0.005")
        ]
    );
    assert_eq!(board[4].totals, [total("EUR", "500", "500")]);
    assert!(board[1].totals.is_empty() && board[1].opportunities.is_empty());
    test.drop().await;
}
