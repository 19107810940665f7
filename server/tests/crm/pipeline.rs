//! Pipeline stages: defaults on first use, create, rename, reorder, delete and the won/lost
//! rules.
use sea_orm::prelude::Decimal;
use server::{
    domain::crm::{
        opportunities::{self, NewOpportunity, StageMove},
        pipeline::{self, NewStage, StageKind, StagePatch},
    },
    kernel::{Actor, DomainError},
};

use crate::helpers::CrmFixtures;
use crate::helpers::TestDb;

fn keys(stages: &[pipeline::Stage]) -> Vec<&str> {
    stages.iter().map(|s| s.key.as_str()).collect()
}

#[tokio::test]
async fn a_project_gets_the_default_stages_once_in_position_order() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let other = test.project("q").await;

    // Act
    let first = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("first");
    let second = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("second");

    // Assert
    assert_eq!(
        keys(&first),
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
        first.iter().map(|s| s.position).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 5]
    );
    assert_eq!(
        first
            .iter()
            .map(|s| s.default_probability)
            .collect::<Vec<_>>(),
        [10, 25, 50, 75, 100, 0]
    );
    assert!(first[4].is_won && first[5].is_lost);
    assert_eq!(first, second);
    assert_eq!(test.count("crm_pipeline_stages").await, 6);
    pipeline::list_stages(&test.db, &other)
        .await
        .expect("other");
    assert_eq!(test.count("crm_pipeline_stages").await, 12);
    test.drop().await;
}

#[tokio::test]
async fn a_new_open_stage_goes_after_the_open_stages_with_a_key_from_its_name() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");

    // Act
    let demo = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: "Demo call".to_owned(),
            default_probability: 60,
            ..NewStage::default()
        },
    )
    .await
    .expect("demo");
    let first = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: "Inbound".to_owned(),
            key: Some("inbound".to_owned()),
            default_probability: 5,
            position: Some(0),
            ..NewStage::default()
        },
    )
    .await
    .expect("inbound");
    let churned = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: "Lost".to_owned(),
            kind: StageKind::Lost,
            ..NewStage::default()
        },
    )
    .await
    .expect("second lost");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");

    // Assert
    assert_eq!(demo.key, "demo_call");
    assert_eq!(first.position, 0);
    assert_eq!(churned.key, "lost_2");
    assert_eq!(
        keys(&stages),
        [
            "inbound",
            "lead",
            "qualified",
            "proposal",
            "negotiation",
            "demo_call",
            "won",
            "lost",
            "lost_2"
        ]
    );
    assert_eq!(
        stages.iter().map(|s| s.position).collect::<Vec<_>>(),
        (0..9).collect::<Vec<_>>()
    );
    assert_eq!(test.audits("crm.stage.created").await, 3);
    test.drop().await;
}

#[tokio::test]
async fn invalid_stage_input_is_refused_and_writes_nothing() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    pipeline::list_stages(&test.db, &scope)
        .await
        .expect("defaults");

    // Act
    let invalid = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: String::new(),
            key: Some("Bad Key".to_owned()),
            default_probability: 101,
            kind: StageKind::Won,
            position: Some(-1),
        },
    )
    .await;
    let duplicate = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: "Lead again".to_owned(),
            key: Some("lead".to_owned()),
            ..NewStage::default()
        },
    )
    .await;
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let rename = pipeline::update_stage(
        &test.db,
        &scope,
        &actor,
        stages[0].id,
        StagePatch {
            name: Some(" ".to_owned()),
            default_probability: Some(-5),
        },
    )
    .await;

    // Assert
    match invalid {
        Err(DomainError::Validation(errors)) => {
            let mut fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
            fields.sort();
            assert_eq!(
                fields,
                ["defaultProbability", "key", "kind", "name", "position"]
            );
        }
        other => panic!("expected validation, got {other:?}"),
    }
    assert!(matches!(duplicate, Err(DomainError::Conflict(_))));
    assert!(matches!(rename, Err(DomainError::Validation(_))));
    assert_eq!(test.count("crm_pipeline_stages").await, 6);
    assert_eq!(
        pipeline::list_stages(&test.db, &scope)
            .await
            .expect("again"),
        stages
    );
    assert_eq!(test.count("audit_events").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn renaming_changes_the_name_and_default_probability_only() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");

    // Act
    let renamed = pipeline::update_stage(
        &test.db,
        &scope,
        &Actor::system("test"),
        stages[1].id,
        StagePatch {
            name: Some("Discovery".to_owned()),
            default_probability: Some(30),
        },
    )
    .await
    .expect("renamed");

    // Assert
    assert_eq!(renamed.name, "Discovery");
    assert_eq!(renamed.key, "qualified");
    assert_eq!(renamed.default_probability, 30);
    assert_eq!(renamed.position, 1);
    assert_eq!(test.audits("crm.stage.updated").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn reordering_swaps_positions_in_one_transaction() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let mut order: Vec<_> = stages.iter().map(|s| s.id).collect();
    order.swap(0, 1);

    // Act
    let reordered = pipeline::reorder_stages(&test.db, &scope, &actor, &order)
        .await
        .expect("reordered");
    let missing = pipeline::reorder_stages(&test.db, &scope, &actor, &order[1..]).await;
    let mut duplicated = order.clone();
    duplicated[5] = duplicated[0];
    let twice = pipeline::reorder_stages(&test.db, &scope, &actor, &duplicated).await;

    // Assert
    assert_eq!(
        keys(&reordered),
        [
            "qualified",
            "lead",
            "proposal",
            "negotiation",
            "won",
            "lost"
        ]
    );
    assert!(matches!(missing, Err(DomainError::Validation(_))));
    assert!(matches!(twice, Err(DomainError::Validation(_))));
    assert_eq!(
        pipeline::list_stages(&test.db, &scope)
            .await
            .expect("after"),
        reordered
    );
    assert_eq!(test.audits("crm.pipeline.reordered").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn a_stage_in_use_cannot_be_deleted_and_a_deleted_stage_stays_in_history() {
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
        NewOpportunity {
            account_id: account.id,
            name: "Deal".to_owned(),
            amount: Decimal::new(5000, 0),
            currency: "EUR".to_owned(),
            stage_id: Some(stages[2].id),
            ..NewOpportunity::default()
        },
    )
    .await
    .expect("opportunity");

    // Act
    let in_use = pipeline::delete_stage(&test.db, &scope, &actor, stages[2].id).await;
    opportunities::move_stage(
        &test.db,
        &scope,
        &actor,
        opportunity.id,
        StageMove {
            to_stage_id: stages[3].id,
            ..StageMove::default()
        },
    )
    .await
    .expect("moved");
    pipeline::delete_stage(&test.db, &scope, &actor, stages[2].id)
        .await
        .expect("deleted");
    let remaining = pipeline::list_stages(&test.db, &scope).await.expect("rest");
    let history = opportunities::stage_history(&test.db, &scope, opportunity.id)
        .await
        .expect("history");

    // Assert
    assert!(matches!(in_use, Err(DomainError::Conflict(_))));
    assert_eq!(
        keys(&remaining),
        ["lead", "qualified", "negotiation", "won", "lost"]
    );
    assert_eq!(
        remaining.iter().map(|s| s.position).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].to_stage_key, "proposal");
    assert_eq!(history[0].to_stage_id, None);
    assert_eq!(history[1].from_stage_key.as_deref(), Some("proposal"));
    assert_eq!(history[1].from_stage_id, None);
    assert_eq!(history[1].to_stage_key, "negotiation");
    assert_eq!(test.audits("crm.stage.deleted").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn the_won_stage_and_the_last_lost_and_open_stages_cannot_be_deleted() {
    // Arrange
    let test = TestDb::new().await;
    let scope = test.project("p").await;
    let actor = Actor::system("test");
    let stages = pipeline::list_stages(&test.db, &scope)
        .await
        .expect("stages");
    let extra_lost = pipeline::create_stage(
        &test.db,
        &scope,
        &actor,
        NewStage {
            name: "No budget".to_owned(),
            kind: StageKind::Lost,
            ..NewStage::default()
        },
    )
    .await
    .expect("extra lost");

    // Act
    let won = pipeline::delete_stage(&test.db, &scope, &actor, stages[4].id).await;
    pipeline::delete_stage(&test.db, &scope, &actor, stages[5].id)
        .await
        .expect("one of two lost stages");
    let last_lost = pipeline::delete_stage(&test.db, &scope, &actor, extra_lost.id).await;
    for open in &stages[1..4] {
        pipeline::delete_stage(&test.db, &scope, &actor, open.id)
            .await
            .expect("open stage");
    }
    let last_open = pipeline::delete_stage(&test.db, &scope, &actor, stages[0].id).await;

    // Assert
    assert!(matches!(won, Err(DomainError::Conflict(_))));
    assert!(matches!(last_lost, Err(DomainError::Conflict(_))));
    assert!(matches!(last_open, Err(DomainError::Conflict(_))));
    let rest = pipeline::list_stages(&test.db, &scope).await.expect("rest");
    assert_eq!(keys(&rest), ["lead", "won", "no_budget"]);
    assert_eq!(rest.iter().filter(|s| s.is_won).count(), 1);
    assert_eq!(rest.iter().filter(|s| s.is_lost).count(), 1);
    test.drop().await;
}
