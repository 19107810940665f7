//! Tenant isolation: another project's scope can neither read nor change offers, segments or
//! campaigns, nor reach this project's accounts, contacts or segments through its own.
use serde_json::json;
use server::domain::{
    campaigns::{
        self, CampaignFilter, CampaignPatch, NewCampaign, dispatch,
        report::{self, Bucket},
        segments::{self, SegmentInput},
    },
    offers::{self, Decision, NewOffer, OfferFilter, OfferPatch},
};

use crate::helpers::OfferFixtures;
use crate::helpers::{TestDb, line, not_found, offer_for};

#[tokio::test]
async fn another_projects_scope_gets_not_found_or_nothing_for_offers_and_campaigns() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("mine").await;
    let theirs = test.project("theirs").await;
    let intruder = test.member(&theirs, "intruder").await;
    let actor = &intruder.actor;
    let offer = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(w.account.id, &w.contact, vec![line("A", "1", "10", "50")]),
    )
    .await
    .expect("offer")
    .offer
    .id;
    offers::submit_offer(&test.db, &w.scope, &w.author.actor, offer)
        .await
        .expect("submitted");
    let segment = segments::save_segment(
        &test.db,
        &w.scope,
        &w.author.actor,
        SegmentInput {
            id: None,
            name: "Mine".to_owned(),
            description: None,
            definition: json!({ "has_email": {} }),
        },
    )
    .await
    .expect("segment")
    .id;
    let campaign = campaigns::create_campaign(
        &test.db,
        &w.scope,
        &w.author.actor,
        NewCampaign {
            name: "Mine".to_owned(),
            segment_id: Some(segment),
            message_template: "Hi".to_owned(),
            ..NewCampaign::default()
        },
    )
    .await
    .expect("campaign")
    .id;
    campaigns::submit_campaign(&test.db, &w.scope, &w.author.actor, campaign)
        .await
        .expect("submitted");
    let audits_before = test.count("audit_events").await;

    // Act + Assert: reads.
    assert!(not_found(offers::get_offer(&test.db, &theirs, offer).await));
    assert!(not_found(
        offers::list_items(&test.db, &theirs, offer).await
    ));
    assert!(not_found(
        offers::list_approvals(&test.db, &theirs, offer).await
    ));
    let listed = offers::list_offers(&test.db, &theirs, &OfferFilter::default(), 100, None)
        .await
        .expect("list");
    assert_eq!((listed.items.len(), listed.total_count), (0, 0));
    assert!(
        offers::approval_inbox(&test.db, &theirs, intruder.id)
            .await
            .expect("inbox")
            .is_empty()
    );
    assert!(not_found(
        segments::get_segment(&test.db, &theirs, segment).await
    ));
    assert!(
        segments::list_segments(&test.db, &theirs)
            .await
            .expect("segments")
            .is_empty()
    );
    let preview = segments::preview(&test.db, &theirs, &json!({ "and": [] }))
        .await
        .expect("preview");
    assert_eq!((preview.count, preview.sample.len()), (0, 0));
    assert!(not_found(
        campaigns::get_campaign(&test.db, &theirs, campaign).await
    ));
    assert!(not_found(
        report::campaign_report(&test.db, &theirs, campaign, Bucket::Day).await
    ));
    let listed =
        campaigns::list_campaigns(&test.db, &theirs, &CampaignFilter::default(), 100, None)
            .await
            .expect("list");
    assert_eq!(listed.total_count, 0);

    // Act + Assert: writes aimed at this project's rows.
    assert!(not_found(
        offers::update_offer(&test.db, &theirs, actor, offer, OfferPatch::default()).await
    ));
    assert!(not_found(
        offers::submit_offer(&test.db, &theirs, actor, offer).await
    ));
    assert!(not_found(
        offers::approve_offer(&test.db, &theirs, actor, offer, Decision::default()).await
    ));
    let reason = Decision {
        comment: Some("no".to_owned()),
        evidence: vec![],
    };
    assert!(not_found(
        offers::reject_offer(&test.db, &theirs, actor, offer, reason.clone()).await
    ));
    assert!(not_found(
        offers::send_offer(&test.db, &theirs, actor, offer).await
    ));
    assert!(not_found(
        offers::record_answer(&test.db, &theirs, actor, offer, true, reason).await
    ));
    assert!(not_found(
        offers::create_offer(
            &test.db,
            &theirs,
            actor,
            offer_for(w.account.id, &w.contact, vec![])
        )
        .await
    ));
    assert!(not_found(
        offers::create_offer(
            &test.db,
            &theirs,
            actor,
            NewOffer {
                title: "Stolen".to_owned(),
                opportunity_id: Some(uuid::Uuid::new_v4()),
                ..NewOffer::default()
            }
        )
        .await
    ));
    assert!(not_found(
        segments::save_segment(
            &test.db,
            &theirs,
            actor,
            SegmentInput {
                id: Some(segment),
                name: "Hijacked".to_owned(),
                description: None,
                definition: json!({ "and": [] }),
            },
        )
        .await
    ));
    assert!(not_found(
        segments::delete_segment(&test.db, &theirs, actor, segment).await
    ));
    assert!(not_found(
        campaigns::create_campaign(
            &test.db,
            &theirs,
            actor,
            NewCampaign {
                name: "Stolen".to_owned(),
                segment_id: Some(segment),
                ..NewCampaign::default()
            },
        )
        .await
    ));
    assert!(not_found(
        campaigns::update_campaign(&test.db, &theirs, actor, campaign, CampaignPatch::default())
            .await
    ));
    assert!(not_found(
        campaigns::submit_campaign(&test.db, &theirs, actor, campaign).await
    ));
    assert!(not_found(
        campaigns::approve_campaign(&test.db, &theirs, actor, campaign, None).await
    ));
    assert!(not_found(
        campaigns::reject_campaign(&test.db, &theirs, actor, campaign, "no").await
    ));
    assert!(not_found(
        campaigns::start_campaign(&test.db, &theirs, actor, campaign).await
    ));
    assert!(not_found(
        campaigns::pause_campaign(&test.db, &theirs, actor, campaign).await
    ));
    assert!(not_found(
        campaigns::resume_campaign(&test.db, &theirs, actor, campaign).await
    ));
    assert!(not_found(
        campaigns::cancel_campaign(&test.db, &theirs, actor, campaign).await
    ));
    assert!(not_found(
        dispatch::run(&test.db, &theirs, campaign, chrono::Utc::now()).await
    ));

    // Nothing of this project changed.
    assert_eq!(test.count("audit_events").await, audits_before);
    assert_eq!(
        test.text(&format!("select status from offers where id = '{offer}'"))
            .await,
        "pending_approval"
    );
    assert_eq!(
        test.text(&format!(
            "select status from campaigns where id = '{campaign}'"
        ))
        .await,
        "pending_approval"
    );
    assert_eq!(test.count("campaign_segments").await, 1);
    assert_eq!(test.count("offer_approvals").await, 0);
    assert_eq!(test.count("outbound_messages").await, 0);
    test.drop().await;
}
