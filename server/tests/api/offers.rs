//! Offers and campaigns over GraphQL: decimal strings in and out, the four-eyes rule between
//! two members of one project, one queued message per send, segment previews and a campaign
//! report, and what the API refuses.
use serde_json::{Value, json};

use testkit::app::{As, PASSWORD, Session, TestApp, spawn_app};

const OFFER_FIELDS: &str = "id status requiresApproval subtotal discountTotal total maxDiscountPct \
     outboundMessageId items { name quantity unitPrice discountPct lineTotal } \
     approvals { decision comment policy } contact { id }";

fn code(body: &Value) -> &Value {
    &body["errors"][0]["extensions"]["code"]
}

/// A project of alice with a second member, dave, a mirrored contact and an account it is
/// confirmed on. Returns alice, dave, the project, the contact and the account.
async fn arrange(app: &TestApp) -> (Session, Session, String, String, String) {
    let (alice, project) = app.user_with_project("alice", "Alice sales").await;
    let mirror = app.seed_mirror(&project, 701, "alice").await;
    app.create_member(&project, "dave").await;
    let dave = app.login("dave", PASSWORD).await;
    let switched = app
        .gql(
            As::Session(&dave),
            "mutation($id: ID!) { switchProject(projectId: $id) { id } }",
            json!({ "id": project }),
        )
        .await;
    assert!(switched["errors"].is_null(), "{switched}");
    let account = app
        .gql(
            As::Session(&alice),
            "mutation { createCrmAccount(input: { name: \"Alice Buyer\" }) { id } }",
            json!({}),
        )
        .await;
    let account_id = account["data"]["createCrmAccount"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("account: {account}"))
        .to_owned();
    let linked = app
        .gql(
            As::Session(&alice),
            "mutation($i: LinkAccountContactInput!) { linkAccountContact(input: $i) { id } }",
            json!({ "i": { "accountId": account_id, "contactId": mirror.contact } }),
        )
        .await;
    assert!(linked["errors"].is_null(), "{linked}");
    (alice, dave, project, mirror.contact, account_id)
}

#[tokio::test]
async fn an_offer_is_priced_approved_by_another_member_and_queued_once_over_graphql() {
    // Arrange
    let app = spawn_app().await;
    let (alice, dave, project, contact, account) = arrange(&app).await;
    let created = app
        .gql(
            As::Session(&alice),
            &format!(
                "mutation($i: CreateOfferInput!) {{ createOffer(input: $i) {{ {OFFER_FIELDS} }} }}"
            ),
            json!({ "i": { "title": "Renewal", "accountId": account, "contactId": contact,
                           "currency": "EUR", "items": [
                { "name": "Seats", "quantity": "2.5", "unitPrice": "19.99", "discountPct": "12.5" },
                { "name": "Stickers", "quantity": "3", "unitPrice": "0.35", "discountPct": "50" }
            ] } }),
        )
        .await;
    let offer = &created["data"]["createOffer"];
    let id = offer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {created}"))
        .to_owned();
    let mutate = |field: &str, extra: &str| {
        format!("mutation($id: ID!) {{ {field}(id: $id{extra}) {{ {OFFER_FIELDS} }} }}")
    };

    // Act
    let submitted = app
        .gql(
            As::Session(&alice),
            &mutate("submitOffer", ""),
            json!({ "id": id }),
        )
        .await;
    let alices_inbox = app
        .gql(
            As::Session(&alice),
            "{ offerApprovalInbox { id } }",
            json!({}),
        )
        .await;
    let daves_inbox = app
        .gql(
            As::Session(&dave),
            "{ offerApprovalInbox { id } }",
            json!({}),
        )
        .await;
    let self_approved = app
        .gql(
            As::Session(&alice),
            &mutate("approveOffer", ""),
            json!({ "id": id }),
        )
        .await;
    let approved = app
        .gql(
            As::Session(&dave),
            &mutate("approveOffer", ", comment: \"ok for renewal\""),
            json!({ "id": id }),
        )
        .await;
    let sent = app
        .gql(
            As::Session(&alice),
            &mutate("sendOffer", ""),
            json!({ "id": id }),
        )
        .await;
    let sent_again = app
        .gql(
            As::Session(&alice),
            &mutate("sendOffer", ""),
            json!({ "id": id }),
        )
        .await;

    // Assert
    assert_eq!(offer["status"], "DRAFT");
    assert_eq!(offer["subtotal"], "51.03");
    assert_eq!(offer["total"], "44.26");
    assert_eq!(offer["discountTotal"], "6.77");
    assert_eq!(offer["maxDiscountPct"], "50.00");
    assert_eq!(
        offer["items"],
        json!([
            { "name": "Seats", "quantity": "2.5", "unitPrice": "19.99", "discountPct": "12.50", "lineTotal": "43.73" },
            { "name": "Stickers", "quantity": "3", "unitPrice": "0.35", "discountPct": "50.00", "lineTotal": "0.53" }
        ])
    );
    assert_eq!(offer["contact"]["id"], contact.as_str());
    let submitted = &submitted["data"]["submitOffer"];
    assert_eq!(submitted["status"], "PENDING_APPROVAL");
    assert_eq!(submitted["requiresApproval"], true);
    assert_eq!(alices_inbox["data"]["offerApprovalInbox"], json!([]));
    assert_eq!(
        daves_inbox["data"]["offerApprovalInbox"],
        json!([{ "id": id }])
    );
    assert_eq!(code(&self_approved), "CONFLICT");
    let approved = &approved["data"]["approveOffer"];
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["approvals"][0]["comment"], "ok for renewal");
    assert_eq!(approved["approvals"][0]["policy"]["mode"], "manual");
    assert_eq!(sent["data"]["sendOffer"]["status"], "APPROVED");
    assert!(
        sent["data"]["sendOffer"]["outboundMessageId"].is_string(),
        "{sent}"
    );
    assert_eq!(code(&sent_again), "CONFLICT");
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbound_messages where project_id = '{project}' \
             and origin_kind = 'offer' and origin_id = '{id}' and status = 'queued' \
             and conversation_global_id = 'cw:{project}:701:10'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn bad_offer_numbers_are_refused_naming_every_field_and_nothing_is_written() {
    // Arrange
    let app = spawn_app().await;
    let (alice, _, project, contact, account) = arrange(&app).await;

    // Act
    let refused = app
        .gql(
            As::Session(&alice),
            "mutation($i: CreateOfferInput!) { createOffer(input: $i) { id } }",
            json!({ "i": { "title": "Bad", "accountId": account, "contactId": contact, "items": [
                { "name": "A", "quantity": "-1", "unitPrice": "1.999" },
                { "name": "B", "quantity": "1", "unitPrice": "1", "discountPct": "12,5" }
            ] } }),
        )
        .await;

    // Assert
    assert_eq!(code(&refused), "VALIDATION");
    let fields: Vec<&str> = refused["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields: {refused}"))
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "items[0].quantity",
            "items[0].unitPrice",
            "items[1].discountPct"
        ]
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from offers where project_id = '{project}'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn a_campaign_is_previewed_approved_by_another_member_started_and_reported_over_graphql() {
    // Arrange
    let app = spawn_app().await;
    let (alice, dave, project, contact, _) = arrange(&app).await;
    let segment = app
        .gql(
            As::Session(&alice),
            "mutation($i: SaveCampaignSegmentInput!) { saveCampaignSegment(input: $i) { id lastCount definition } }",
            json!({ "i": { "name": "Everyone", "definition": { "has_email": {} } } }),
        )
        .await;
    let segment_id = segment["data"]["saveCampaignSegment"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("segment: {segment}"))
        .to_owned();
    let created = app
        .gql(
            As::Session(&alice),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id status } }",
            json!({ "i": { "name": "Spring", "segmentId": segment_id,
                           "messageTemplate": "Hi {{first_name|there}}" } }),
        )
        .await;
    let id = created["data"]["createCampaign"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("campaign: {created}"))
        .to_owned();
    let status = |body: &Value, field: &str| body["data"][field]["status"].clone();
    let mutate = |field: &str| format!("mutation($id: ID!) {{ {field}(id: $id) {{ status }} }}");

    // Act
    let preview = app
        .gql(
            As::Session(&alice),
            "query($d: JSON!) { previewSegment(definition: $d) { count sample { id } } }",
            json!({ "d": { "has_email": {} } }),
        )
        .await;
    let bad_preview = app
        .gql(
            As::Session(&alice),
            "query($d: JSON!) { previewSegment(definition: $d) { count } }",
            json!({ "d": { "inbox": { "inbox_id": 0 } } }),
        )
        .await;
    let early_start = app
        .gql(
            As::Session(&alice),
            &mutate("startCampaign"),
            json!({ "id": id }),
        )
        .await;
    let submitted = app
        .gql(
            As::Session(&alice),
            &mutate("submitCampaign"),
            json!({ "id": id }),
        )
        .await;
    let self_approved = app
        .gql(
            As::Session(&alice),
            &mutate("approveCampaign"),
            json!({ "id": id }),
        )
        .await;
    let approved = app
        .gql(
            As::Session(&dave),
            &mutate("approveCampaign"),
            json!({ "id": id }),
        )
        .await;
    let started = app
        .gql(
            As::Session(&alice),
            &mutate("startCampaign"),
            json!({ "id": id }),
        )
        .await;
    let scope = server::kernel::Scope::for_project(
        &app.db,
        uuid::Uuid::parse_str(&project).expect("project id"),
    )
    .await
    .expect("scope");
    server::domain::campaigns::dispatch::run(
        &app.db,
        &scope,
        uuid::Uuid::parse_str(&id).expect("campaign id"),
        chrono::Utc::now(),
    )
    .await
    .expect("dispatched");
    let report = app
        .gql(
            As::Session(&alice),
            "query($id: ID!) { campaign(id: $id) { status segment { id } report(bucket: DAY) { counts { total pending queued } series { queued sent } } } }",
            json!({ "id": id }),
        )
        .await;

    // Assert
    assert_eq!(segment["data"]["saveCampaignSegment"]["lastCount"], 1);
    assert_eq!(
        preview["data"]["previewSegment"],
        json!({ "count": 1, "sample": [{ "id": contact }] })
    );
    assert_eq!(code(&bad_preview), "VALIDATION");
    assert_eq!(code(&early_start), "CONFLICT");
    assert_eq!(status(&submitted, "submitCampaign"), "PENDING_APPROVAL");
    assert_eq!(code(&self_approved), "CONFLICT");
    assert_eq!(status(&approved, "approveCampaign"), "SCHEDULED");
    assert_eq!(status(&started, "startCampaign"), "RUNNING");
    let campaign = &report["data"]["campaign"];
    assert_eq!(campaign["segment"]["id"], segment_id.as_str());
    assert_eq!(
        campaign["report"],
        json!({ "counts": { "total": 1, "pending": 0, "queued": 1 },
                "series": [{ "queued": 1, "sent": 0 }] })
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from outbound_messages where origin_kind = 'campaign' \
             and origin_id = '{id}' and content = 'Hi alice' and status = 'queued'"
        ))
        .await,
        1
    );
}
