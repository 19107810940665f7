//! Tenant isolation: another project's scope can never read or change these rows.
use sea_orm::prelude::Decimal;
use server::{
    domain::crm::{
        accounts::{self, AccountFilter, AccountOrder, AccountPatch},
        contacts,
        opportunities::{
            self, BoardFilter, NewOpportunity, OpportunityFilter, OpportunityPatch, StageMove,
        },
        pipeline::{self, StagePatch},
    },
    kernel::{Actor, DomainError},
};

use crate::helpers::CrmFixtures;
use crate::helpers::TestDb;

fn not_found<T: std::fmt::Debug>(result: Result<T, DomainError>) -> bool {
    matches!(result, Err(DomainError::NotFound(_)))
}

#[tokio::test]
async fn another_projects_scope_can_neither_read_nor_change_crm_rows() {
    // Arrange
    let test = TestDb::new().await;
    let mine = test.project("mine").await;
    let theirs = test.project("theirs").await;
    let actor = Actor::system("test");
    let account = test.account(&mine, "Acme", Some("acme.com")).await;
    let contact = test.contact(&mine, 1, Some("ann@acme.com"), None).await;
    let link = contacts::suggest_contacts(&test.db, &mine, account.id)
        .await
        .expect("suggested")
        .remove(0);
    let stages = pipeline::list_stages(&test.db, &mine)
        .await
        .expect("stages");
    let opportunity = opportunities::create_opportunity(
        &test.db,
        &mine,
        &actor,
        NewOpportunity {
            account_id: account.id,
            name: "Deal".to_owned(),
            amount: Decimal::new(1000, 0),
            currency: "EUR".to_owned(),
            ..NewOpportunity::default()
        },
    )
    .await
    .expect("opportunity");
    let their_account = test.account(&theirs, "Acme too", Some("acme.com")).await;
    let their_stages = pipeline::list_stages(&test.db, &theirs)
        .await
        .expect("stages");
    let their_opportunity = opportunities::create_opportunity(
        &test.db,
        &theirs,
        &actor,
        NewOpportunity {
            account_id: their_account.id,
            name: "Their deal".to_owned(),
            amount: Decimal::new(5, 0),
            currency: "EUR".to_owned(),
            ..NewOpportunity::default()
        },
    )
    .await
    .expect("their opportunity");
    let audits_before = test.count("audit_events").await;
    let events_before = test.count("crm_opportunity_stage_events").await;

    // Act + Assert: every read and write through their scope misses my rows.
    assert!(not_found(
        accounts::get_account(&test.db, &theirs, account.id).await
    ));
    assert!(not_found(
        accounts::update_account(
            &test.db,
            &theirs,
            &Actor::system("test"),
            account.id,
            AccountPatch {
                name: Some("Hijacked".to_owned()),
                ..AccountPatch::default()
            },
        )
        .await
    ));
    assert!(not_found(
        accounts::archive_account(&test.db, &theirs, &actor, account.id).await
    ));
    assert!(not_found(
        accounts::merge_accounts(&test.db, &theirs, &actor, account.id, their_account.id).await
    ));
    assert!(not_found(
        accounts::merge_accounts(&test.db, &theirs, &actor, their_account.id, account.id).await
    ));
    assert!(not_found(
        contacts::suggest_contacts(&test.db, &theirs, account.id).await
    ));
    assert!(not_found(
        contacts::account_contacts(&test.db, &theirs, account.id, None).await
    ));
    assert!(not_found(
        contacts::confirm_link(&test.db, &theirs, &actor, link.id).await
    ));
    assert!(not_found(
        contacts::reject_link(&test.db, &theirs, &actor, link.id).await
    ));
    assert!(not_found(
        contacts::link_contact(&test.db, &theirs, &actor, their_account.id, &contact, None).await
    ));
    assert_eq!(
        contacts::account_for_contact(&test.db, &theirs, &contact)
            .await
            .expect("lookup"),
        None
    );
    assert!(not_found(
        opportunities::get_opportunity(&test.db, &theirs, opportunity.id).await
    ));
    assert!(not_found(
        opportunities::update_opportunity(
            &test.db,
            &theirs,
            &Actor::system("test"),
            opportunity.id,
            OpportunityPatch {
                amount: Some(Decimal::ZERO),
                ..OpportunityPatch::default()
            },
        )
        .await
    ));
    assert!(not_found(
        opportunities::move_stage(
            &test.db,
            &theirs,
            &actor,
            opportunity.id,
            StageMove {
                to_stage_id: their_stages[2].id,
                ..StageMove::default()
            },
        )
        .await
    ));
    assert!(not_found(
        opportunities::stage_history(&test.db, &theirs, opportunity.id).await
    ));
    assert!(not_found(
        opportunities::create_opportunity(
            &test.db,
            &theirs,
            &actor,
            NewOpportunity {
                account_id: account.id,
                name: "Sneaky".to_owned(),
                amount: Decimal::ONE,
                currency: "EUR".to_owned(),
                ..NewOpportunity::default()
            },
        )
        .await
    ));
    assert!(not_found(
        pipeline::update_stage(
            &test.db,
            &theirs,
            &actor,
            stages[0].id,
            StagePatch {
                name: Some("Hijacked".to_owned()),
                ..StagePatch::default()
            },
        )
        .await
    ));
    assert!(not_found(
        pipeline::delete_stage(&test.db, &theirs, &actor, stages[1].id).await
    ));
    // Their opportunity cannot enter my stage either.
    let into_my_stage = opportunities::move_stage(
        &test.db,
        &theirs,
        &actor,
        their_opportunity.id,
        StageMove {
            to_stage_id: stages[2].id,
            ..StageMove::default()
        },
    )
    .await;
    assert!(matches!(into_my_stage, Err(DomainError::Validation(_))));
    let their_accounts = accounts::list_accounts(
        &test.db,
        &theirs,
        &AccountFilter::default(),
        AccountOrder::Name,
        50,
        None,
    )
    .await
    .expect("list");
    assert_eq!(
        their_accounts
            .items
            .iter()
            .map(|a| a.id)
            .collect::<Vec<_>>(),
        [their_account.id]
    );
    let their_list = opportunities::list_opportunities(
        &test.db,
        &theirs,
        &OpportunityFilter {
            account_id: Some(account.id),
            ..OpportunityFilter::default()
        },
        50,
        None,
    )
    .await
    .expect("list");
    assert_eq!(their_list.total_count, 0);
    let their_board = opportunities::pipeline_board(&test.db, &theirs, &BoardFilter::default(), 50)
        .await
        .expect("board");
    let on_their_board: Vec<_> = their_board
        .iter()
        .flat_map(|c| c.opportunities.iter().map(|o| o.id))
        .collect();
    assert_eq!(on_their_board, [their_opportunity.id]);

    // My rows are exactly as they were.
    assert_eq!(
        accounts::get_account(&test.db, &mine, account.id)
            .await
            .expect("mine"),
        account
    );
    assert_eq!(
        opportunities::get_opportunity(&test.db, &mine, opportunity.id)
            .await
            .expect("mine"),
        opportunity
    );
    assert_eq!(
        contacts::account_contacts(&test.db, &mine, account.id, None)
            .await
            .expect("mine"),
        [link]
    );
    assert_eq!(
        pipeline::list_stages(&test.db, &mine).await.expect("mine"),
        stages
    );
    assert_eq!(test.count("audit_events").await, audits_before);
    assert_eq!(
        test.count("crm_opportunity_stage_events").await,
        events_before
    );
    test.drop().await;
}
